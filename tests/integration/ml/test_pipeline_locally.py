"""The forecast pipeline run for real under the emulation: export → train (the job's train.py in a subprocess) →
evaluation gate → Model Registry → batch transform (the job's inference.py over the export's requests)."""

from __future__ import annotations

import io
import json
import math
import tarfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

import boto3
import pytest

from devserver.lambda_runtime import LocalLambdaRuntime
from devserver.sagemaker_training import LocalTrainingJobs
from devserver.sagemaker_transform import LocalTransformJobs
from shared.auth.principal import AuthMethod, Principal
from shared.forecasts.service import get_forecasts
from shared.ml.job_kinds import FORECAST
from shared.ml.jobs import MlJob, get_job, start_job
from shared.ml.plans import JobRequest
from shared.ml.series import export_hour
from shared.settings import get_settings
from shared.store.context import TenantContext
from tests.helpers import wait_until
from tests.integration.ml.conftest import add_execution, new_tenant

ADMIN = Principal(subject="ml-admin", method=AuthMethod.JWT, is_platform_admin=True)
DAYS = 8
# The job's venv is built on its first run (about 30 s on this machine), then each job takes seconds.
JOB_TIMEOUT = 300.0


@pytest.fixture
def ml_runtime(emulated_aws: LocalLambdaRuntime, tmp_path: Path, forecast_python: Path) -> Iterator[None]:
    LocalTrainingJobs(tmp_path, "123456789012", "us-east-1").install()
    LocalTransformJobs(tmp_path, "123456789012", "us-east-1").install()
    yield


@pytest.fixture
def exported_tenant(ml_runtime: None) -> str:
    """A tenant whose executions over DAYS days (a daily cycle) were exported hour by hour."""
    tenant = new_tenant("forecasted")
    start = datetime(2026, 11, 20, tzinfo=UTC)
    bucket = get_settings().require("bucket_payloads")
    for hour in range(DAYS * 24):
        moment = start + timedelta(hours=hour)
        for run in range(2 + round(2 * math.sin(2 * math.pi * hour / 24))):
            add_execution(tenant, "wf-orders", moment + timedelta(minutes=run), duration_ms=100 * (run + 1))
        export_hour(bucket, moment)
    return tenant


def _finished(job_id: str) -> MlJob:
    return wait_until(lambda: get_job(ADMIN, job_id), lambda job: job.status != "running", timeout=JOB_TIMEOUT)


def _approved_packages() -> list[dict]:
    listed = boto3.client("sagemaker").list_model_packages(
        ModelPackageGroupName=FORECAST.model_package_group, ModelApprovalStatus="Approved"
    )
    packages: list[dict] = listed["ModelPackageSummaryList"]
    return packages


def test_a_forecast_job_trains_passes_the_gate_registers_and_forecasts_every_series(exported_tenant: str) -> None:
    started = start_job(ADMIN, JobRequest(kind="forecast", hyperparameters={"folds": 1}))
    assert started.status == "running"

    job = _finished(started.job_id)

    assert job.status == "succeeded", (job.error, job.cause)
    assert job.training_status == "Completed/Completed"
    assert job.progress_percent == 100.0
    assert job.metrics["relative_mase"] > 0
    assert job.model_package_arn is not None
    package = boto3.client("sagemaker").describe_model_package(ModelPackageName=job.model_package_arn)
    assert package["ModelApprovalStatus"] == "Approved"
    assert float(package["CustomerMetadataProperties"]["relative_mase"]) == job.metrics["relative_mase"]
    bucket = get_settings().require("bucket_payloads")
    output = boto3.client("s3").get_object(
        Bucket=bucket, Key=f"ml/transform/forecast/{job.job_id}/tenant={exported_tenant}.jsonl.out"
    )
    forecasts = [json.loads(line) for line in output["Body"].read().decode().splitlines()]
    assert {forecast["series"] for forecast in forecasts} >= {
        f"{exported_tenant}:executions",
        f"{exported_tenant}:wf-orders:p95_duration_ms",
    }
    assert all(len(forecast["forecast"]) == 24 for forecast in forecasts)
    # GET /v1/forecasts reads this output: the workflow's series with the chosen model, its MASE and intervals.
    served = get_forecasts(TenantContext(exported_tenant), workflow_id="wf-orders", horizon_hours=24)
    assert (served.available, served.job_id, served.horizon_hours) == (True, job.job_id, 24)
    assert {metric.metric for metric in served.metrics} >= {"executions", "p95_duration_ms"}
    assert all(metric.model in {"auto_ets", "auto_theta", "seasonal_naive"} for metric in served.metrics)
    assert all(metric.mase is not None and metric.seasonal_naive_mase is not None for metric in served.metrics)
    assert all(p.lower <= p.mean <= p.upper for metric in served.metrics for p in metric.points)


def test_a_model_worse_than_the_one_in_service_is_rejected_and_never_registered(exported_tenant: str) -> None:
    in_service = boto3.client("sagemaker").create_model_package(
        ModelPackageGroupName=FORECAST.model_package_group,
        ModelApprovalStatus="Approved",
        CustomerMetadataProperties={"relative_mase": "0.0001", "job_name": "ml-excellent"},
        InferenceSpecification={
            "Containers": [{"Image": "forecast", "ModelDataUrl": "s3://models/excellent.tar.gz"}],
            "SupportedContentTypes": ["application/json"],
            "SupportedResponseMIMETypes": ["application/json"],
        },
    )["ModelPackageArn"]

    job = _finished(start_job(ADMIN, JobRequest(kind="forecast", hyperparameters={"folds": 1})).job_id)

    assert job.status == "rejected"
    assert job.error == "Ml.ModelRejected"
    assert "worse than 0.0001 of the model in service (ml-excellent)" in (job.cause or "")
    assert job.model_package_arn is None
    assert [package["ModelPackageArn"] for package in _approved_packages()] == [in_service]


def test_the_neural_variant_on_a_gpu_instance_trains_in_the_pytorch_image_with_the_nhits_candidate(
    exported_tenant: str,
) -> None:
    request = JobRequest(
        kind="forecast", instance_type="ml.g5.xlarge", hyperparameters={"folds": 1, "neural": 1, "neural_epochs": 5}
    )

    job = _finished(start_job(ADMIN, request).job_id)

    assert job.status == "succeeded", (job.error, job.cause)
    assert (job.instance_type, job.hyperparameters["neural"]) == ("ml.g5.xlarge", 1)
    training = boto3.client("sagemaker").describe_training_job(TrainingJobName=job.job_id)
    assert training["AlgorithmSpecification"]["TrainingImage"] == (
        "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.6.0-gpu-py312"
    )
    location = urlparse(training["ModelArtifacts"]["S3ModelArtifacts"])
    archive = boto3.client("s3").get_object(Bucket=location.netloc, Key=location.path.lstrip("/"))["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(archive)) as model_tar:
        model = json.loads(model_tar.extractfile("model.json").read())  # type: ignore[union-attr]
    assert model["series"]
    assert all("nhits" in entry["validation_mase"] for entry in model["series"].values())
