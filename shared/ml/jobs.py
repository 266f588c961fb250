"""ML jobs: started as executions of their kind's pipeline, read back with the training job's status, metrics, cost
so far, percent and ETA. A platform admin starts and sees every job; a tenant member only its own tenant's jobs of
the kinds a tenant may start."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field

from shared.auth.principal import Principal
from shared.aws import sagemaker, stepfunctions
from shared.ml.job_kinds import JOB_KINDS
from shared.ml.plans import CODE_PREFIX, JobRequest, cost_so_far, plan_job
from shared.ml.state_machines import MODEL_REJECTED
from shared.problems import NotFound
from shared.settings import get_settings
from shared.store import ml_jobs
from shared.store.execution_ids import new_execution_id

_STATUSES = {
    "RUNNING": "running",
    "SUCCEEDED": "succeeded",
    "FAILED": "failed",
    "TIMED_OUT": "failed",
    "ABORTED": "stopped",
}


class MlJob(BaseModel):
    job_id: str
    kind: str
    tenant_id: str | None = Field(description="The tenant whose data the job trains on; null: a platform job")
    status: str = Field(description="running, succeeded, failed, rejected (worse than the model in service), stopped")
    training_status: str | None = Field(description="SageMaker's TrainingJobStatus/SecondaryStatus, once created")
    instance_type: str
    spot: bool
    hyperparameters: dict[str, int | float]
    max_cost_usd: float
    cost_usd: float = Field(description="Training time so far at the instance's on-demand price")
    metrics: dict[str, float]
    progress_percent: float | None
    eta_seconds: int | None
    error: str | None
    cause: str | None
    model_package_arn: str | None
    created_at: datetime
    stopped_at: datetime | None


class MlJobPage(BaseModel):
    items: list[MlJob]
    next_cursor: str | None


def start_job(principal: Principal, request: JobRequest) -> MlJob:
    settings = get_settings()
    tenant_id = None if principal.is_platform_admin else principal.tenant_id
    job_name = f"ml-{new_execution_id()}"
    bucket = settings.require("bucket_payloads")
    pipelines = settings.require("ml_pipelines")
    # The pipelines' ARN prefix names their region (arn:aws:states:<region>:...), whose registry serves the image.
    region = pipelines.split(":")[3]
    plan = plan_job(request, bucket=bucket, tenant_id=tenant_id, code_uri=code_uri(bucket, request.kind), region=region)
    kind = JOB_KINDS[request.kind]
    machine = f"{pipelines}-{kind.name.replace('_', '-')}"
    started = stepfunctions.start_execution(machine, job_name, json.dumps(plan))
    item = ml_jobs.new_job_item(
        job_name,
        kind=kind.name,
        tenant_id=tenant_id,
        execution_arn=started["executionArn"],
        instance_type=plan["training"]["resources"]["InstanceType"],
        spot=request.spot,
        hourly_usd=plan["hourly_usd"],
        max_cost_usd=plan["max_cost_usd"],
        hyperparameters={
            name: json.loads(value)
            for name, value in plan["training"]["hyperparameters"].items()
            if not name.startswith("sagemaker_")
        },
        created_at=started["startDate"],
    )
    ml_jobs.save_new_job(item)
    return _view(item)


def get_job(principal: Principal, job_id: str) -> MlJob:
    item = ml_jobs.find_job(job_id)
    if item is None or not _visible(principal, item):
        raise NotFound(f"No ML job with id {job_id!r}")
    return _view(item)


def list_jobs(principal: Principal, *, limit: int, cursor: str | None) -> MlJobPage:
    tenant_id = None if principal.is_platform_admin else principal.tenant_id
    items, next_cursor = ml_jobs.list_jobs(tenant_id, limit=limit, cursor=cursor)
    return MlJobPage(items=[_view(item) for item in items], next_cursor=next_cursor)


def _visible(principal: Principal, item: ml_jobs.MlJobItem) -> bool:
    return principal.is_platform_admin or (item.tenant_id is not None and item.tenant_id == principal.tenant_id)


def code_uri(bucket: str, kind: str) -> str:
    root = get_settings().ml_code_root
    folder = JOB_KINDS[kind].source_folder if kind in JOB_KINDS else kind
    return f"{root.rstrip('/')}/{folder}" if root else f"s3://{bucket}/{CODE_PREFIX}/{folder}/sourcedir.tar.gz"


def _view(item: ml_jobs.MlJobItem) -> MlJob:
    execution = stepfunctions.describe_execution(item.execution_arn)
    training = sagemaker.describe_training_job(item.job_id)
    status = _STATUSES.get(execution["status"], "running")
    error = execution.get("error")
    if error == MODEL_REJECTED:
        status = "rejected"
    output = json.loads(execution["output"]) if execution.get("output") else {}
    metrics = {
        str(metric["MetricName"]): float(metric["Value"]) for metric in (training or {}).get("FinalMetricDataList", [])
    }
    progress = metrics.pop("progress", None)
    seconds = training_seconds(training)
    return MlJob(
        job_id=item.job_id,
        kind=item.kind,
        tenant_id=item.tenant_id,
        status=status,
        training_status=training_status(training),
        instance_type=item.instance_type,
        spot=item.spot,
        hyperparameters=item.hyperparameters,
        max_cost_usd=float(item.max_cost_usd),
        cost_usd=cost_so_far(seconds, float(item.hourly_usd)),
        metrics=metrics,
        progress_percent=100.0 if training and training["TrainingJobStatus"] == "Completed" else progress,
        eta_seconds=eta(training, seconds, progress),
        error=error,
        cause=execution.get("cause"),
        model_package_arn=(output.get("registered") or {}).get("ModelPackageArn"),
        created_at=item.created_at,
        stopped_at=execution.get("stopDate"),
    )


def training_status(training: dict[str, Any] | None) -> str | None:
    if training is None:
        return None
    return f"{training['TrainingJobStatus']}/{training.get('SecondaryStatus', '')}".rstrip("/")


def training_seconds(training: dict[str, Any] | None) -> float:
    """Billable seconds once SageMaker reports them, else the training time so far."""
    if not training or "TrainingStartTime" not in training:
        return 0.0
    if training.get("BillableTimeInSeconds") is not None:
        return float(training["BillableTimeInSeconds"])
    end = training.get("TrainingEndTime") or datetime.now(UTC)
    elapsed: float = (end - training["TrainingStartTime"]).total_seconds()
    return max(0.0, elapsed)


def eta(training: dict[str, Any] | None, seconds: float, progress: float | None) -> int | None:
    if training is None or training["TrainingJobStatus"] != "InProgress" or not progress:
        return None
    return round(seconds * (100 - progress) / progress)
