"""A job request checked against its kind and turned into the ML state machine's input (the CreateTrainingJob values).

A cost cap becomes MaxRuntimeInSeconds at the instance's on-demand price; managed spot training adds a wait budget
and a checkpoint prefix so an interrupted job resumes instead of starting over.
"""

from __future__ import annotations

import json
import math
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared.ml.job_kinds import GPU_INSTANCES, INSTANCE_HOURLY_USD, JOB_KINDS, JobKind
from shared.problems import InvalidParam, ValidationFailed

# SageMaker's longest training job (MaxRuntimeInSeconds) is 28 days; a platform job is held to 5.
MAX_RUNTIME_SECONDS = 5 * 24 * 3600
# How long a spot job may wait for capacity on top of its runtime (MaxWaitTimeInSeconds >= MaxRuntimeInSeconds).
SPOT_WAIT_SECONDS = 3600
SERIES_PREFIX = "ml/series"
MODELS_PREFIX = "ml/models"
CHECKPOINTS_PREFIX = "ml/checkpoints"
TRANSFORM_PREFIX = "ml/transform"
CODE_PREFIX = "ml/code"


class JobRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = Field(description="A job kind: forecast (more kinds are registered in shared/ml/job_kinds.py)")
    instance_type: str | None = Field(default=None, description="One of the kind's instance types; its default")
    hyperparameters: dict[str, int | float] = Field(default_factory=dict, description="Overrides of the defaults")
    max_cost_usd: float | None = Field(
        default=None, gt=0, le=10_000, description="Cost cap: the job stops when its runtime would exceed it"
    )
    spot: bool = Field(default=True, description="Managed spot training with checkpoints")


def plan_job(request: JobRequest, *, bucket: str, tenant_id: str | None, code_uri: str, region: str) -> dict[str, Any]:
    """The state machine's input, or ValidationFailed naming every field that is wrong; the execution's name is the
    job's (its training job, model and transform job). `region`: the pipeline's, whose registry serves the image."""
    kind = JOB_KINDS.get(request.kind)
    startable = sorted(
        name
        for name, known in JOB_KINDS.items()
        if known.started_by_ml_jobs and (tenant_id is None or known.tenant_may_start)
    )
    if kind is None or request.kind not in startable:
        reason = "unknown job kind"
        if kind is not None:
            reason = (
                "a platform job kind, started by platform admins"
                if kind.started_by_ml_jobs
                else "a kind its own route starts (agent_tuning: POST /v1/agent-models)"
            )
        raise ValidationFailed(
            [InvalidParam(name="/body/kind", reason=f"{reason}; one of: {', '.join(startable) or 'none yet'}")]
        )
    problems: list[InvalidParam] = []
    instance_type = request.instance_type or kind.default_instance_type
    if instance_type not in kind.instance_types:
        problems.append(InvalidParam(name="/body/instance_type", reason=f"one of {', '.join(kind.instance_types)}"))
    hyperparameters = _checked_hyperparameters(kind, request.hyperparameters, problems)
    if kind.gpu_switch is not None and not problems:
        _check_gpu_variant(kind, kind.gpu_switch, instance_type, hyperparameters, problems)
    max_cost = request.max_cost_usd if request.max_cost_usd is not None else kind.default_max_cost_usd
    max_runtime = max_runtime_seconds(max_cost, instance_type) if instance_type in kind.instance_types else 0
    if instance_type in kind.instance_types and max_runtime < kind.minimum_runtime_seconds:
        cheapest = kind.minimum_runtime_seconds / 3600 * INSTANCE_HOURLY_USD[instance_type]
        problems.append(
            InvalidParam(
                name="/body/max_cost_usd",
                reason=f"buys {max_runtime} s on {instance_type}; the {kind.name} job needs at least "
                f"{kind.minimum_runtime_seconds} s (${cheapest:.2f})",
            )
        )
    if problems:
        raise ValidationFailed(problems)
    data_prefix = f"{SERIES_PREFIX}/tenant={tenant_id}/" if tenant_id else f"{SERIES_PREFIX}/"
    stopping: dict[str, int] = {"MaxRuntimeInSeconds": max_runtime}
    if request.spot:
        stopping["MaxWaitTimeInSeconds"] = max_runtime + SPOT_WAIT_SECONDS
    plan: dict[str, Any] = {
        "kind": kind.name,
        "tenant_id": tenant_id,
        "max_cost_usd": max_cost,
        "hourly_usd": INSTANCE_HOURLY_USD[instance_type],
        "model_package_group": kind.model_package_group,
        "code_uri": code_uri,
        "training": {
            "image": kind.training_image_uri(region, instance_type),
            "hyperparameters": {
                "sagemaker_program": json.dumps("train.py"),
                "sagemaker_submit_directory": json.dumps(code_uri),
                **{name: json.dumps(value) for name, value in hyperparameters.items()},
            },
            "input": [
                {
                    "ChannelName": channel,
                    "DataSource": {
                        "S3DataSource": {
                            "S3DataType": "S3Prefix",
                            "S3Uri": f"s3://{bucket}/{data_prefix}",
                            "S3DataDistributionType": "FullyReplicated",
                        }
                    },
                }
                for channel in kind.channels
            ],
            "output_path": f"s3://{bucket}/{MODELS_PREFIX}/{kind.name}/",
            "resources": {"InstanceType": instance_type, "InstanceCount": 1, "VolumeSizeInGB": 30},
            "stopping": stopping,
            "spot": request.spot,
            "checkpoint_prefix": f"s3://{bucket}/{CHECKPOINTS_PREFIX}/{kind.name}/",
        },
    }
    if kind.batch_transform:
        plan["transform"] = {
            "input": f"s3://{bucket}/{transform_requests_prefix(kind.name)}",
            "output_prefix": f"s3://{bucket}/{TRANSFORM_PREFIX}/{kind.name}/",
        }
    return plan


def transform_requests_prefix(kind_name: str) -> str:
    """Where the export keeps a kind's batch transform requests (one JSON request a line, per tenant)."""
    return f"{TRANSFORM_PREFIX}/{kind_name}/requests/"


def max_runtime_seconds(max_cost_usd: float, instance_type: str) -> int:
    """The runtime a cost cap buys on one instance, at most MAX_RUNTIME_SECONDS."""
    seconds = math.floor(max_cost_usd / INSTANCE_HOURLY_USD[instance_type] * 3600)
    return min(seconds, MAX_RUNTIME_SECONDS)


def cost_so_far(billable_seconds: float, hourly_usd: float) -> float:
    return round(billable_seconds / 3600 * hourly_usd, 4)


def _check_gpu_variant(
    kind: JobKind,
    switch: str,
    instance_type: str,
    hyperparameters: dict[str, int | float],
    problems: list[InvalidParam],
) -> None:
    """The GPU variant runs on a GPU instance and only there: a GPU instance running the CPU models is paid for
    nothing."""
    on_gpu = instance_type in GPU_INSTANCES
    gpu_instances = ", ".join(known for known in kind.instance_types if known in GPU_INSTANCES)
    if hyperparameters[switch] == 1 and not on_gpu:
        problems.append(
            InvalidParam(
                name=f"/body/hyperparameters/{switch}",
                reason=f"1 needs a GPU instance_type: one of {gpu_instances}",
            )
        )
    elif on_gpu and hyperparameters[switch] != 1:
        problems.append(
            InvalidParam(
                name="/body/instance_type", reason=f"a GPU instance runs the {kind.name} job with {switch}=1 only"
            )
        )


def _checked_hyperparameters(
    kind: JobKind, given: dict[str, int | float], problems: list[InvalidParam]
) -> dict[str, int | float]:
    values = kind.default_hyperparameters()
    for name, value in given.items():
        spec = kind.hyperparameter(name)
        field = f"/body/hyperparameters/{name}"
        if spec is None:
            known = ", ".join(s.name for s in kind.hyperparameters)
            problems.append(InvalidParam(name=field, reason=f"not a {kind.name} hyperparameter; one of {known}"))
        elif spec.kind is int and (isinstance(value, bool) or not float(value).is_integer()):
            problems.append(InvalidParam(name=field, reason="an integer"))
        elif not spec.low <= value <= spec.high:
            problems.append(InvalidParam(name=field, reason=f"between {spec.low:g} and {spec.high:g}"))
        else:
            values[name] = spec.kind(value)
    return values
