"""The ML job kinds: the one place a kind is declared (its code, instances, hyperparameters, metrics and gate).

Every other part of the pipeline reads a kind from `JOB_KINDS`: the request checks (shared/ml/jobs.py), the state
machine generator (shared/ml/state_machines.py), the evaluation gate, the CDK stack (one state machine, schedule and
model package group per kind) and the local runtime. A new kind is one `JobKind` added to `JOB_KINDS`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# On-demand SageMaker training prices in us-east-1, USD per instance-hour, from SageMaker's public price list
# (December 2026). A cost cap is turned into MaxRuntimeInSeconds with these; spot capacity bills less, so a cap
# computed on the on-demand price is never exceeded.
INSTANCE_HOURLY_USD: dict[str, float] = {
    "ml.m5.large": 0.115,
    "ml.m5.xlarge": 0.23,
    "ml.c5.xlarge": 0.204,
    "ml.c5.2xlarge": 0.408,
    "ml.g4dn.xlarge": 0.736,
    "ml.g5.xlarge": 1.408,
    "ml.g5.2xlarge": 1.515,
    "ml.g5.12xlarge": 7.09,
}
CPU_INSTANCES = ("ml.m5.large", "ml.m5.xlarge", "ml.c5.xlarge", "ml.c5.2xlarge")
GPU_INSTANCES = ("ml.g5.xlarge", "ml.g5.2xlarge", "ml.g5.12xlarge", "ml.g4dn.xlarge")
DEFAULT_GPU_INSTANCE = "ml.g5.xlarge"


@dataclass(frozen=True)
class Hyperparameter:
    """A hyperparameter a kind's train.py accepts: its type, bounds and default (train.py checks them too)."""

    name: str
    kind: type[int] | type[float]
    low: float
    high: float
    default: int | float


@dataclass(frozen=True)
class JobKind:
    name: str
    # The folder under sagemaker/ holding train.py, inference.py and requirements.txt.
    source_folder: str
    description: str
    # SageMaker's framework container the code runs in, as a URI template: `{region}`, and `{account}` for the
    # framework's registry account in that region (`image_accounts`).
    training_image: str
    inference_image: str
    instance_types: tuple[str, ...]
    default_instance_type: str
    hyperparameters: tuple[Hyperparameter, ...]
    # MetricDefinitions: metric name → a regex over the job's output whose first group is the value.
    metrics: dict[str, str]
    # The metric the evaluation gate compares with the model in service, and whether lower is better.
    evaluation_metric: str
    lower_is_better: bool
    # Printed by train.py as `progress:percent=<0-100>;`: the API's percent and ETA.
    progress_regex: str = r"progress:percent=([0-9.]+);"
    default_max_cost_usd: float = 5.0
    # The shortest run that can produce a model; a cost cap that buys less is refused.
    minimum_runtime_seconds: int = 300
    # Whether the pipeline ends with a batch transform over the kind's transform input (forecasts).
    batch_transform: bool = False
    # Whether the pipeline ends by serving the model from an endpoint named after the job (its plan's `endpoint`).
    serves_endpoint: bool = False
    # A metric the same job reports for the model it would replace (e.g. the base model's loss): the gate compares
    # with it instead of the Model Registry's approved package.
    baseline_metric: str | None = None
    # Whether POST /v1/ml/jobs starts the kind (False: its own route plans it, e.g. POST /v1/agent-models).
    started_by_ml_jobs: bool = True
    # Whether a tenant may start the kind on its own data (otherwise platform admins only).
    tenant_may_start: bool = False
    # The platform's own runs of the kind (EventBridge Scheduler expression); None: started only by the API.
    schedule: str | None = None
    channels: tuple[str, ...] = field(default=("train",))
    image_accounts: dict[str, str] = field(default_factory=dict)
    # A GPU variant of a CPU kind: its training image on the kind's GPU instances, and the 0/1 hyperparameter that
    # turns it on (1 requires a GPU instance and a GPU instance requires 1). Locally the job's environment comes from
    # GPU_REQUIREMENTS in the source folder.
    gpu_training_image: str | None = None
    gpu_switch: str | None = None

    @property
    def uses_gpu(self) -> bool:
        return self.default_instance_type in GPU_INSTANCES

    @property
    def model_package_group(self) -> str:
        return f"forge-{self.name.replace('_', '-')}"

    def training_image_uri(self, region: str, instance_type: str | None = None) -> str:
        """The training image on `instance_type` (the GPU variant's on a GPU instance); the CPU one by default."""
        if self.gpu_training_image is not None and instance_type in GPU_INSTANCES:
            return self._image_uri(self.gpu_training_image, region)
        return self._image_uri(self.training_image, region)

    def inference_image_uri(self, region: str) -> str:
        return self._image_uri(self.inference_image, region)

    def _image_uri(self, template: str, region: str) -> str:
        if "{account}" in template and region not in self.image_accounts:
            raise ValueError(f"the {self.name} job's framework image has no registry in {region}")
        return template.format(
            region=region,
            account=self.image_accounts.get(region, ""),
            dlc_account=deep_learning_containers_account(region),
        )

    def hyperparameter(self, name: str) -> Hyperparameter | None:
        return next((spec for spec in self.hyperparameters if spec.name == name), None)

    def default_hyperparameters(self) -> dict[str, int | float]:
        return {spec.name: spec.default for spec in self.hyperparameters}


# The requirements file, beside requirements.txt, of a kind's GPU variant (torch never goes into requirements.txt: the
# CPU image would pull the CUDA build).
GPU_REQUIREMENTS = "requirements-gpu.txt"
# AWS Deep Learning Containers' registry account per region (its available_images table): 763104351884 except in
# the regions that opted in later, which have their own.
DEEP_LEARNING_CONTAINERS_ACCOUNT = "763104351884"
DEEP_LEARNING_CONTAINERS_OWN_ACCOUNTS: dict[str, str] = {
    "af-south-1": "626614931356",
    "ap-east-1": "871362719292",
    "ap-northeast-3": "364406365360",
    "ap-southeast-3": "907027046896",
    "eu-south-1": "692866216735",
    "me-south-1": "217643126080",
    "me-central-1": "914824155844",
}


def deep_learning_containers_account(region: str) -> str:
    return DEEP_LEARNING_CONTAINERS_OWN_ACCOUNTS.get(region, DEEP_LEARNING_CONTAINERS_ACCOUNT)


_PYTORCH_IMAGES = "{dlc_account}.dkr.ecr.{region}.amazonaws.com/pytorch-"
PYTORCH_GPU_TRAINING_IMAGE = _PYTORCH_IMAGES + "training:2.6.0-gpu-py312"

_SKLEARN_IMAGE = "{account}.dkr.ecr.{region}.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
# The scikit-learn framework images' ECR accounts per region, as the SageMaker Python SDK lists them
# (image_uri_config/sklearn.json, version 1.2-1, training and inference alike).
SKLEARN_IMAGE_ACCOUNTS: dict[str, str] = {
    "us-east-1": "683313688378",
    "us-east-2": "257758044811",
    "us-west-1": "746614075791",
    "us-west-2": "246618743249",
    "ca-central-1": "341280168497",
    "sa-east-1": "737474898029",
    "eu-west-1": "141502667606",
    "eu-west-2": "764974769150",
    "eu-west-3": "659782779980",
    "eu-central-1": "492215442770",
    "eu-central-2": "680994064768",
    "eu-north-1": "662702820516",
    "eu-south-1": "978288397137",
    "eu-south-2": "104374241257",
    "ap-south-1": "720646828776",
    "ap-south-2": "628508329040",
    "ap-southeast-1": "121021644041",
    "ap-southeast-2": "783357654285",
    "ap-southeast-3": "951798379941",
    "ap-southeast-4": "106583098589",
    "ap-northeast-1": "354813040037",
    "ap-northeast-2": "366743142698",
    "ap-northeast-3": "867004704886",
    "ap-east-1": "651117190479",
    "me-central-1": "272398656194",
    "me-south-1": "801668240914",
    "af-south-1": "510948584623",
}

FORECAST = JobKind(
    name="forecast",
    source_folder="forecast",
    description="Hourly workload forecasts per tenant and workflow (AutoETS / AutoTheta / seasonal naive; N-HiTS on a "
    "GPU instance with neural=1)",
    training_image=_SKLEARN_IMAGE,
    inference_image=_SKLEARN_IMAGE,
    image_accounts=SKLEARN_IMAGE_ACCOUNTS,
    gpu_training_image=PYTORCH_GPU_TRAINING_IMAGE,
    gpu_switch="neural",
    instance_types=CPU_INSTANCES + GPU_INSTANCES,
    default_instance_type="ml.m5.large",
    hyperparameters=(
        Hyperparameter("horizon", int, 24, 168, 24),
        Hyperparameter("season_length", int, 1, 8760, 24),
        Hyperparameter("folds", int, 1, 10, 3),
        Hyperparameter("interval_level", float, 0.5, 0.99, 0.9),
        Hyperparameter("neural", int, 0, 1, 0),
        Hyperparameter("neural_epochs", int, 1, 5000, 300),
    ),
    metrics={
        "mase": r"validation:mase=([0-9.eE+-]+);",
        "seasonal_naive_mase": r"validation:seasonal_naive_mase=([0-9.eE+-]+);",
        "relative_mase": r"validation:relative_mase=([0-9.eE+-]+);",
    },
    evaluation_metric="relative_mase",
    lower_is_better=True,
    default_max_cost_usd=1.0,
    batch_transform=True,
    schedule="cron(0 3 * * ? *)",
)

ANOMALY = JobKind(
    name="anomaly",
    source_folder="anomaly",
    description="Robust seasonal anomaly model per series (median and MAD per phase), quality control's batch model",
    training_image=_SKLEARN_IMAGE,
    inference_image=_SKLEARN_IMAGE,
    image_accounts=SKLEARN_IMAGE_ACCOUNTS,
    # Medians of hourly series: CPU, minutes at most; the scikit-learn framework container has numpy.
    instance_types=("ml.m5.large", "ml.m5.xlarge", "ml.c5.xlarge"),
    default_instance_type="ml.m5.large",
    hyperparameters=(
        Hyperparameter("season_length", int, 1, 168, 24),
        Hyperparameter("threshold", float, 2.0, 20.0, 4.0),
        Hyperparameter("min_cycles", int, 1, 52, 3),
    ),
    metrics={
        "anomaly_rate": r"validation:anomaly_rate=([0-9.eE+-]+);",
        "series": r"validation:series=([0-9.eE+-]+);",
        "points": r"validation:points=([0-9.eE+-]+);",
    },
    # The share of its own training history the model flags: a model flagging more than the one in service (its
    # medians and MADs pulled by the anomalies they should ignore) is refused.
    evaluation_metric="anomaly_rate",
    lower_is_better=True,
    # An hour on ml.m5.large.
    default_max_cost_usd=0.115,
)


AGENT_TUNING = JobKind(
    name="agent_tuning",
    source_folder="agent_tuning",
    description="A tenant's agent model: LoRA over an open instruct model on its examples, served by an endpoint",
    training_image=PYTORCH_GPU_TRAINING_IMAGE,
    inference_image=_PYTORCH_IMAGES + "inference:2.6.0-cpu-py312",
    instance_types=("ml.g5.xlarge", "ml.g5.2xlarge", "ml.g4dn.xlarge", "ml.m5.xlarge", "ml.c5.2xlarge"),
    default_instance_type=DEFAULT_GPU_INSTANCE,
    hyperparameters=(
        Hyperparameter("max_steps", int, 1, 2000, 8),
        Hyperparameter("learning_rate", float, 1e-6, 1e-2, 2e-4),
        Hyperparameter("lora_rank", int, 1, 64, 8),
        Hyperparameter("max_length", int, 32, 4096, 256),
        Hyperparameter("batch_size", int, 1, 32, 2),
    ),
    metrics={
        "loss": r"validation:loss=([0-9.eE+-]+);",
        "base_loss": r"validation:base_loss=([0-9.eE+-]+);",
        "examples": r"validation:examples=([0-9.eE+-]+);",
    },
    evaluation_metric="loss",
    lower_is_better=True,
    baseline_metric="base_loss",
    default_max_cost_usd=5.0,
    minimum_runtime_seconds=600,
    serves_endpoint=True,
    tenant_may_start=True,
    started_by_ml_jobs=False,
    channels=("train", "base"),
)

JOB_KINDS: dict[str, JobKind] = {kind.name: kind for kind in (FORECAST, ANOMALY, AGENT_TUNING)}
