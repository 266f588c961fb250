"""The agent tuning job kind's plan: what the `agent_tuning` pipeline (shared/ml/state_machines.py) trains, where,
at what cost, and how it serves the model; and whose a tuned model's endpoint is.

A tenant's tuned model is served by an endpoint named `<platform prefix>-tm-<tenant tag>-<model id>` (the prefix
node_agent may invoke; the tag, 12 hex digits of the tenant id's SHA-256, keeps the name within SageMaker's 63
characters); that name is also the pipeline execution's, the training job's and the SageMaker model's, and it is the
agent node's `sagemaker` model id; a node of another tenant naming it is refused (`foreign_tuned_model`). The job runs
sagemaker/agent_tuning/ in script mode on SageMaker's PyTorch training image (GPU by default, `ml.g5.xlarge`), its
channels the tenant's dataset and the base model; the endpoint serves the model with the same folder's inference.py on
the PyTorch inference image, serverless (CPU, pay per request) or real-time.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.ml.job_kinds import AGENT_TUNING, INSTANCE_HOURLY_USD
from shared.ml.plans import CODE_PREFIX, max_runtime_seconds
from shared.problems import InvalidParam, ValidationFailed

MODEL_ID_PATTERN = r"^[a-z0-9]{8}$"
_TUNED_ENDPOINT = re.compile(r"-tm-(?P<tag>[0-9a-f]{12})-(?P<model>[a-z0-9]{8})$")
# Where the job's code lies in the platform bucket (sourcedir.tar.gz of sagemaker/agent_tuning/).
SOURCE_KEY = f"{CODE_PREFIX}/{AGENT_TUNING.source_folder}/sourcedir.tar.gz"
BASE_MODELS = {"smollm2-135m-instruct": "base-models/smollm2-135m-instruct/"}
BaseModelName = Literal["smollm2-135m-instruct"]
DEFAULT_BASE_MODEL: BaseModelName = "smollm2-135m-instruct"
TrainingInstanceType = Literal["ml.g5.xlarge", "ml.g5.2xlarge", "ml.g4dn.xlarge", "ml.m5.xlarge", "ml.c5.2xlarge"]
# A spot job may wait this long for capacity on top of its runtime.
SPOT_WAIT_SECONDS = 3600


class TuningHyperparameters(BaseModel):
    """The job's hyperparameters (sagemaker/agent_tuning/train.py checks the same ranges)."""

    model_config = ConfigDict(extra="forbid")

    max_steps: int = Field(default=8, ge=1, le=2000)
    learning_rate: float = Field(default=2e-4, ge=1e-6, le=1e-2)
    lora_rank: int = Field(default=8, ge=1, le=64)
    max_length: int = Field(default=256, ge=32, le=4096)
    batch_size: int = Field(default=2, ge=1, le=32)


class EndpointChoice(BaseModel):
    """Serverless (memory and concurrency, CPU only, billed per request) or real-time (an instance always on)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["serverless", "realtime"] = "serverless"
    memory_mb: int = Field(default=3072, ge=1024, le=6144, multiple_of=1024, description="serverless")
    max_concurrency: int = Field(default=1, ge=1, le=20, description="serverless")
    instance_type: Literal["ml.g5.xlarge", "ml.m5.large", "ml.m5.xlarge", "ml.c5.xlarge"] = Field(
        default="ml.m5.large", description="realtime"
    )


class TuningRequest(BaseModel):
    """What a tenant asks for: the examples it uploads (JSONL, shared/agent_models/dataset.py), whether its agents'
    remembered exchanges join them, the job's settings, its cost cap and how the model is served."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=128)
    base_model: BaseModelName = DEFAULT_BASE_MODEL
    examples: str = Field(default="", description="JSONL, one {messages: [{role, content}]} a line")
    include_agent_memory: bool = True
    hyperparameters: TuningHyperparameters = Field(default_factory=TuningHyperparameters)
    instance_type: TrainingInstanceType = "ml.g5.xlarge"
    max_cost_usd: float = Field(
        default=AGENT_TUNING.default_max_cost_usd,
        gt=0,
        le=1000,
        description="Cost cap of the training: the job stops when its runtime would exceed it",
    )
    spot: bool = Field(default=True, description="Managed spot training with checkpoints")
    endpoint: EndpointChoice = Field(default_factory=EndpointChoice)


@dataclass(frozen=True)
class TuningPlace:
    """Where one platform tunes: its name prefix, the platform bucket, the job's code and the base models' root
    (`file://` folders under forge dev, else the bucket's `ml/code/` and `base-models/`)."""

    prefix: str
    bucket: str
    code_uri: str
    base_models_root: str | None = None

    def base_model_uri(self, base_model: str) -> str:
        if self.base_models_root:
            return f"{self.base_models_root.rstrip('/')}/{base_model}/"
        return f"s3://{self.bucket}/{BASE_MODELS[base_model]}"


def tenant_tag(tenant_id: str) -> str:
    return hashlib.sha256(tenant_id.encode()).hexdigest()[:12]


def endpoint_name(prefix: str, tenant_id: str, model_id: str) -> str:
    return f"{prefix}-tm-{tenant_tag(tenant_id)}-{model_id}"


def foreign_tuned_model(tenant_id: str, sagemaker_model_id: str) -> bool:
    """Whether an agent node's `sagemaker` model id names another tenant's tuned model."""
    match = _TUNED_ENDPOINT.search(sagemaker_model_id)
    return match is not None and match["tag"] != tenant_tag(tenant_id)


def model_prefix(tenant_id: str, model_id: str) -> str:
    """Under the tenant's own prefix of the platform bucket (what its purge removes)."""
    return f"tenants/{tenant_id}/agent-models/{model_id}/"


def dataset_prefix(tenant_id: str, model_id: str) -> str:
    return f"{model_prefix(tenant_id, model_id)}dataset/"


def plan_tuning(place: TuningPlace, tenant_id: str, model_id: str, request: TuningRequest) -> dict[str, Any]:
    """The agent_tuning pipeline's input (the shape shared/ml/plans.py gives every kind, plus the endpoint), or
    ValidationFailed when the cost cap buys less than the shortest useful run."""
    kind = AGENT_TUNING
    name = endpoint_name(place.prefix, tenant_id, model_id)
    max_runtime = max_runtime_seconds(request.max_cost_usd, request.instance_type)
    if max_runtime < kind.minimum_runtime_seconds:
        cheapest = kind.minimum_runtime_seconds / 3600 * INSTANCE_HOURLY_USD[request.instance_type]
        reason = (
            f"buys {max_runtime} s on {request.instance_type}; a tuning job needs at least "
            f"{kind.minimum_runtime_seconds} s (${cheapest:.2f})"
        )
        raise ValidationFailed([InvalidParam(name="/body/max_cost_usd", reason=reason)])
    stopping = {"MaxRuntimeInSeconds": max_runtime}
    if request.spot:
        stopping["MaxWaitTimeInSeconds"] = max_runtime + SPOT_WAIT_SECONDS

    def channel(channel_name: str, uri: str) -> dict[str, Any]:
        source = {"S3DataType": "S3Prefix", "S3Uri": uri, "S3DataDistributionType": "FullyReplicated"}
        return {"ChannelName": channel_name, "DataSource": {"S3DataSource": source}}

    return {
        "kind": kind.name,
        "tenant_id": tenant_id,
        "model_id": model_id,
        "max_cost_usd": request.max_cost_usd,
        "hourly_usd": INSTANCE_HOURLY_USD[request.instance_type],
        "model_package_group": kind.model_package_group,
        "code_uri": place.code_uri,
        "training": {
            "hyperparameters": {
                "sagemaker_program": json.dumps("train.py"),
                "sagemaker_submit_directory": json.dumps(place.code_uri),
                **{key: json.dumps(value) for key, value in request.hyperparameters.model_dump().items()},
            },
            "input": [
                channel("train", f"s3://{place.bucket}/{dataset_prefix(tenant_id, model_id)}"),
                channel("base", place.base_model_uri(request.base_model)),
            ],
            "output_path": f"s3://{place.bucket}/{model_prefix(tenant_id, model_id)}",
            "resources": {"InstanceType": request.instance_type, "InstanceCount": 1, "VolumeSizeInGB": 30},
            "stopping": stopping,
            "spot": request.spot,
            "checkpoint_prefix": f"s3://{place.bucket}/{model_prefix(tenant_id, model_id)}checkpoints/",
        },
        "endpoint": {"variants": [_variant(name, request.endpoint)]},
    }


def _variant(model_name: str, endpoint: EndpointChoice) -> dict[str, Any]:
    variant: dict[str, Any] = {"VariantName": "AllTraffic", "ModelName": model_name}
    if endpoint.kind == "serverless":
        variant["ServerlessConfig"] = {"MemorySizeInMB": endpoint.memory_mb, "MaxConcurrency": endpoint.max_concurrency}
    else:
        variant.update(InstanceType=endpoint.instance_type, InitialInstanceCount=1)
    return variant
