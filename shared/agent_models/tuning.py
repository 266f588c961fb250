"""The agent tuning job kind: its settings, the SageMaker requests that train, register and serve a tenant's model,
and whose a tuned model's endpoint is.

A tenant's tuned model is served by an endpoint named `<platform prefix>-tm-<tenant tag>-<model id>` (the prefix
node_agent may invoke; the tag, 12 hex digits of the tenant id's SHA-256, keeps the name within SageMaker's 63
characters); that name is the agent node's `sagemaker` model id, and a node of another tenant naming it is refused
(`foreign_tuned_model`). The job runs
sagemaker/agent_tuning/ in script mode on SageMaker's PyTorch training image (GPU by default, `ml.g5.xlarge`), its
channels the tenant's dataset and the base model, both in the platform's ML bucket; the endpoint serves the model with
the same folder's inference.py on the PyTorch inference image, serverless (CPU, pay per request) or real-time.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

KIND = "agent_tuning"
MODEL_ID_PATTERN = r"^[a-z0-9]{8}$"
_TUNED_ENDPOINT = re.compile(r"-tm-(?P<tag>[0-9a-f]{12})-(?P<model>[a-z0-9]{8})$")
# Where the job's code lies in the ML bucket (sourcedir.tar.gz of sagemaker/agent_tuning/) and its entry points.
SOURCE_KEY = "code/agent_tuning/sourcedir.tar.gz"
TRAIN_PROGRAM, INFERENCE_PROGRAM = "train.py", "inference.py"
BASE_MODELS = {"smollm2-135m-instruct": "base-models/smollm2-135m-instruct/"}
BaseModelName = Literal["smollm2-135m-instruct"]
DEFAULT_BASE_MODEL: BaseModelName = "smollm2-135m-instruct"
TrainingInstanceType = Literal["ml.g5.xlarge", "ml.g5.2xlarge", "ml.g6.xlarge", "ml.m5.xlarge", "ml.m5.2xlarge"]
METRIC_DEFINITIONS = [
    {"Name": "loss", "Regex": r"validation:loss=([0-9.eE+-]+);"},
    {"Name": "base_loss", "Regex": r"validation:base_loss=([0-9.eE+-]+);"},
    {"Name": "examples", "Regex": r"validation:examples=([0-9.eE+-]+);"},
    {"Name": "step", "Regex": r"train:step=([0-9]+)/"},
]
MAX_RUNTIME_SECONDS = 4 * 3600


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
    remembered exchanges join them, the job's settings and how the model is served."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=128)
    base_model: BaseModelName = DEFAULT_BASE_MODEL
    examples: str = Field(default="", description="JSONL, one {messages: [{role, content}]} a line")
    include_agent_memory: bool = True
    hyperparameters: TuningHyperparameters = Field(default_factory=TuningHyperparameters)
    instance_type: TrainingInstanceType = "ml.g5.xlarge"
    endpoint: EndpointChoice = Field(default_factory=EndpointChoice)


@dataclass(frozen=True)
class TuningPlace:
    """Where one platform keeps its agent tuning: its name prefix, the ML bucket, the SageMaker role and the
    framework images."""

    prefix: str
    bucket: str
    role_arn: str
    training_image: str
    inference_image: str


def tenant_tag(tenant_id: str) -> str:
    return hashlib.sha256(tenant_id.encode()).hexdigest()[:12]


def endpoint_name(prefix: str, tenant_id: str, model_id: str) -> str:
    return f"{prefix}-tm-{tenant_tag(tenant_id)}-{model_id}"


def foreign_tuned_model(tenant_id: str, sagemaker_model_id: str) -> bool:
    """Whether an agent node's `sagemaker` model id names another tenant's tuned model."""
    match = _TUNED_ENDPOINT.search(sagemaker_model_id)
    return match is not None and match["tag"] != tenant_tag(tenant_id)


def dataset_prefix(tenant_id: str, model_id: str) -> str:
    return f"tenants/{tenant_id}/agent-models/{model_id}/dataset/"


def training_job_request(place: TuningPlace, tenant_id: str, model_id: str, request: TuningRequest) -> dict[str, Any]:
    """CreateTrainingJob's request: the tenant's dataset and the base model in, the model under the tenant's prefix."""

    def channel(name: str, prefix: str) -> dict[str, Any]:
        source = {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{place.bucket}/{prefix}"}}
        return {"ChannelName": name, "DataSource": source}

    return {
        "TrainingJobName": endpoint_name(place.prefix, tenant_id, model_id),
        "HyperParameters": {
            "sagemaker_program": json.dumps(TRAIN_PROGRAM),
            "sagemaker_submit_directory": json.dumps(f"s3://{place.bucket}/{SOURCE_KEY}"),
            **{name: str(value) for name, value in request.hyperparameters.model_dump().items()},
        },
        "AlgorithmSpecification": {
            "TrainingImage": place.training_image,
            "TrainingInputMode": "File",
            "MetricDefinitions": METRIC_DEFINITIONS,
        },
        "RoleArn": place.role_arn,
        "InputDataConfig": [
            channel("train", dataset_prefix(tenant_id, model_id)),
            channel("base", BASE_MODELS[request.base_model]),
        ],
        "OutputDataConfig": {"S3OutputPath": f"s3://{place.bucket}/tenants/{tenant_id}/agent-models/{model_id}/"},
        "ResourceConfig": {"InstanceType": request.instance_type, "InstanceCount": 1, "VolumeSizeInGB": 30},
        "StoppingCondition": {"MaxRuntimeInSeconds": MAX_RUNTIME_SECONDS},
        "Tags": [{"Key": "nexus-forge:tenant", "Value": tenant_id}, {"Key": "nexus-forge:kind", "Value": KIND}],
    }


def deployment_requests(
    place: TuningPlace, tenant_id: str, model_id: str, artifact: str, endpoint: EndpointChoice
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """CreateModel, CreateEndpointConfig and CreateEndpoint for a trained model.tar.gz, one name for all three."""
    name = endpoint_name(place.prefix, tenant_id, model_id)
    variant: dict[str, Any] = {"VariantName": "AllTraffic", "ModelName": name}
    if endpoint.kind == "serverless":
        variant["ServerlessConfig"] = {"MemorySizeInMB": endpoint.memory_mb, "MaxConcurrency": endpoint.max_concurrency}
    else:
        variant.update(InstanceType=endpoint.instance_type, InitialInstanceCount=1)
    model = {
        "ModelName": name,
        "PrimaryContainer": {
            "Image": place.inference_image,
            "ModelDataUrl": artifact,
            "Environment": {
                "SAGEMAKER_PROGRAM": INFERENCE_PROGRAM,
                "SAGEMAKER_SUBMIT_DIRECTORY": f"s3://{place.bucket}/{SOURCE_KEY}",
            },
        },
        "ExecutionRoleArn": place.role_arn,
    }
    return (
        model,
        {"EndpointConfigName": name, "ProductionVariants": [variant]},
        {"EndpointName": name, "EndpointConfigName": name},
    )
