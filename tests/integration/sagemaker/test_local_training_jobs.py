"""Under the emulation, CreateTrainingJob runs the job's train.py, and DescribeTrainingJob reports what it did."""

from __future__ import annotations

import importlib.util
import io
import json
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from devserver.emulation import LOCAL_ACCOUNT, LOCAL_REGION
from devserver.sagemaker_training import LocalTrainingJobs
from devserver.workload_series import write_hourly_panel
from infra.bundles import build_job_source
from tests.helpers import wait_until
from tests.integration.sagemaker.conftest import FORECAST_JOB

BUCKET = "nexus-forge-local-ml"
METRICS = [
    {"Name": "mase", "Regex": r"validation:mase=([0-9.eE+-]+);"},
    {"Name": "seasonal_naive_mase", "Regex": r"validation:seasonal_naive_mase=([0-9.eE+-]+);"},
]


@pytest.fixture
def sagemaker(forecast_python: Path, tmp_path: Path) -> Iterator[Any]:
    with mock_aws():
        s3 = boto3.client("s3", region_name=LOCAL_REGION)
        s3.create_bucket(Bucket=BUCKET)
        write_hourly_panel(tmp_path / "panel.csv")
        s3.upload_file(str(tmp_path / "panel.csv"), BUCKET, "series/hourly/panel.csv")
        LocalTrainingJobs(tmp_path / "state", LOCAL_ACCOUNT, LOCAL_REGION).install()
        yield boto3.client("sagemaker", region_name=LOCAL_REGION)


def _create(
    sagemaker: Any, hyperparameters: dict[str, str], submit_directory: str | None = None, name: str | None = None
) -> str:
    name = name or f"forecast-{uuid.uuid4().hex[:8]}"
    sagemaker.create_training_job(
        TrainingJobName=name,
        HyperParameters={
            "sagemaker_program": json.dumps("train.py"),
            "sagemaker_submit_directory": json.dumps(submit_directory or FORECAST_JOB.as_uri()),
            **hyperparameters,
        },
        AlgorithmSpecification={
            "TrainingImage": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3",
            "TrainingInputMode": "File",
            "MetricDefinitions": METRICS,
        },
        RoleArn=f"arn:aws:iam::{LOCAL_ACCOUNT}:role/nexus-forge-local-sagemaker",
        InputDataConfig=[
            {
                "ChannelName": "train",
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/series/hourly"}},
            }
        ],
        OutputDataConfig={"S3OutputPath": f"s3://{BUCKET}/models"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
        StoppingCondition={"MaxRuntimeInSeconds": 600},
    )
    return name


def _statuses_until_done(sagemaker: Any, name: str) -> tuple[list[str], dict]:
    seen: list[str] = []

    def describe() -> dict:
        described: dict = sagemaker.describe_training_job(TrainingJobName=name)
        seen.append(described["TrainingJobStatus"])
        return described

    described = wait_until(describe, lambda job: job["TrainingJobStatus"] != "InProgress", timeout=300)
    return seen, described


def _inference_module() -> Any:
    spec = importlib.util.spec_from_file_location("forecast_inference", FORECAST_JOB / "inference.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_job_runs_train_py_and_uploads_its_model_as_model_tar_gz(sagemaker: Any, tmp_path: Path) -> None:
    name = _create(sagemaker, {"horizon": "24", "folds": "2"})

    seen, described = _statuses_until_done(sagemaker, name)

    assert seen[0] == "InProgress"
    assert described["TrainingJobStatus"] == "Completed", described.get("FailureReason")
    artifact = f"s3://{BUCKET}/models/{name}/output/model.tar.gz"
    assert described["ModelArtifacts"]["S3ModelArtifacts"] == artifact
    metrics = {metric["MetricName"]: metric["Value"] for metric in described["FinalMetricDataList"]}
    assert set(metrics) == {"mase", "seasonal_naive_mase"}
    assert 0 < metrics["mase"] <= metrics["seasonal_naive_mase"]
    archive = boto3.client("s3", region_name=LOCAL_REGION).get_object(
        Bucket=BUCKET, Key=f"models/{name}/output/model.tar.gz"
    )
    with tarfile.open(fileobj=io.BytesIO(archive["Body"].read())) as model:
        model.extractall(tmp_path / "model", filter="data")
    inference = _inference_module()
    answer = json.loads(
        inference.output_fn(
            inference.predict_fn(
                inference.input_fn(json.dumps({"series": "tenant-a", "horizon": 12}), "application/json"),
                inference.model_fn(str(tmp_path / "model")),
            ),
            "application/json",
        )
    )
    assert len(answer["forecast"]) == 12


def test_a_bad_hyperparameter_fails_the_job_with_the_scripts_reason(sagemaker: Any) -> None:
    name = _create(sagemaker, {"horizon": "500"})

    seen, described = _statuses_until_done(sagemaker, name)

    assert seen[0] == "InProgress"
    assert described["TrainingJobStatus"] == "Failed"
    assert described["FailureReason"] == "AlgorithmError: hyperparameter horizon must be between 24 and 168, got 500"
    assert "ModelArtifacts" not in described
    listed = boto3.client("s3", region_name=LOCAL_REGION).list_objects_v2(Bucket=BUCKET, Prefix=f"models/{name}/")
    assert listed["KeyCount"] == 0


def test_code_packed_as_sourcedir_tar_gz_in_s3_runs_too(sagemaker: Any, tmp_path: Path) -> None:
    # Packed as the CDK app packs it: the job's folder and the shared contract beside its train.py.
    archive = build_job_source("forecast", tmp_path)
    boto3.client("s3", region_name=LOCAL_REGION).put_object(
        Bucket=BUCKET, Key="code/forecast/sourcedir.tar.gz", Body=archive.read_bytes()
    )
    name = _create(sagemaker, {"horizon": "24", "folds": "1"}, f"s3://{BUCKET}/code/forecast/sourcedir.tar.gz")

    _, described = _statuses_until_done(sagemaker, name)

    assert described["TrainingJobStatus"] == "Completed", described.get("FailureReason")


def test_a_job_name_is_unique_and_an_unknown_one_is_not_found(sagemaker: Any) -> None:
    name = _create(sagemaker, {"horizon": "500"})
    with pytest.raises(ClientError) as duplicate:
        _create(sagemaker, {"horizon": "500"}, name=name)
    assert duplicate.value.response["Error"]["Code"] == "ResourceInUse"
    with pytest.raises(ClientError) as unknown:
        sagemaker.describe_training_job(TrainingJobName="no-such-job")
    assert unknown.value.response["Error"]["Code"] == "ValidationException"
    _statuses_until_done(sagemaker, name)


def test_code_missing_from_s3_fails_the_job_as_a_client_error(sagemaker: Any) -> None:
    name = _create(sagemaker, {"horizon": "24"}, f"s3://{BUCKET}/code/none/sourcedir.tar.gz")

    _, described = _statuses_until_done(sagemaker, name)

    assert described["TrainingJobStatus"] == "Failed"
    assert described["FailureReason"].startswith("ClientError: NoSuchKey")


def test_a_job_that_names_no_script_is_refused_at_creation(sagemaker: Any) -> None:
    with pytest.raises(ClientError) as refused:
        sagemaker.create_training_job(
            TrainingJobName="no-script",
            AlgorithmSpecification={"TrainingImage": "custom", "TrainingInputMode": "File"},
            RoleArn=f"arn:aws:iam::{LOCAL_ACCOUNT}:role/nexus-forge-local-sagemaker",
            OutputDataConfig={"S3OutputPath": f"s3://{BUCKET}/models"},
            ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
            StoppingCondition={"MaxRuntimeInSeconds": 600},
        )
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert "sagemaker_program, sagemaker_submit_directory" in refused.value.response["Error"]["Message"]


def test_a_job_name_that_is_not_sagemakers_pattern_is_refused(sagemaker: Any) -> None:
    with pytest.raises(ClientError) as refused:
        _create(sagemaker, {"horizon": "24"}, name="../escape")
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert "trainingJobName" in refused.value.response["Error"]["Message"]


def test_a_channel_key_climbing_out_of_its_folder_fails_the_job(sagemaker: Any, tmp_path: Path) -> None:
    boto3.client("s3", region_name=LOCAL_REGION).put_object(
        Bucket=BUCKET, Key="series/hourly/../../../escaped.csv", Body=b"series,timestamp,value\n"
    )
    name = _create(sagemaker, {"horizon": "24"})

    _, described = _statuses_until_done(sagemaker, name)

    assert described["TrainingJobStatus"] == "Failed"
    assert "outside its channel's folder" in described["FailureReason"]
    assert not list(tmp_path.rglob("escaped.csv"))
