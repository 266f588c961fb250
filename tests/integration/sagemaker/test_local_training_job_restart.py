"""forge dev's training jobs outlive the process: a finished job and its model are there after a restart, a job
running when the platform stopped ends Failed saying so, and clients in other processes (the AWS CLI, boto3, the API
workers) see the jobs on the emulation's port."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from werkzeug.serving import make_server

from devserver.emulation import LOCAL_ACCOUNT, LOCAL_REGION
from devserver.sagemaker_training import RESTARTED, LocalTrainingJobs
from shared.ml.job_kinds import ANOMALY
from tests.helpers import wait_until
from tests.integration.sagemaker.conftest import ANOMALY_JOB

BUCKET = "training-restart-bucket"
# A job that runs until the test lets it end: it waits for the file named by its `release` hyperparameter.
WAITING_JOB = """
import json, os, pathlib, time
release = pathlib.Path(json.loads(os.environ["SM_HPS"])["release"])
while not release.exists():
    time.sleep(0.05)
"""


@pytest.fixture
def bucket(anomaly_python: Path) -> Iterator[Any]:
    with mock_aws():
        s3 = boto3.client("s3", region_name=LOCAL_REGION)
        s3.create_bucket(Bucket=BUCKET)
        start = datetime(2026, 11, 1, tzinfo=UTC)
        rows = "".join(
            f"tenant-a:executions,{(start + timedelta(hours=hour)).isoformat()},{hour % 24}\n" for hour in range(96)
        )
        s3.put_object(Bucket=BUCKET, Key="series/part.csv", Body=f"series,timestamp,value\n{rows}")
        yield s3


def _request(name: str, code: Path, hyperparameters: dict[str, Any]) -> dict[str, Any]:
    return {
        "TrainingJobName": name,
        "HyperParameters": {
            "sagemaker_program": json.dumps("train.py"),
            "sagemaker_submit_directory": json.dumps(code.as_uri()),
            **{key: json.dumps(value) for key, value in hyperparameters.items()},
        },
        "AlgorithmSpecification": {
            "TrainingImage": ANOMALY.training_image_uri(LOCAL_REGION),
            "TrainingInputMode": "File",
            "MetricDefinitions": [{"Name": name, "Regex": regex} for name, regex in ANOMALY.metrics.items()],
        },
        "RoleArn": f"arn:aws:iam::{LOCAL_ACCOUNT}:role/nexus-forge-local-sagemaker",
        "InputDataConfig": [
            {
                "ChannelName": "train",
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/series"}},
            }
        ],
        "OutputDataConfig": {"S3OutputPath": f"s3://{BUCKET}/models"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
        "StoppingCondition": {"MaxRuntimeInSeconds": 600},
    }


def test_a_finished_job_and_its_model_are_there_after_a_restart(bucket: Any, tmp_path: Path) -> None:
    before = LocalTrainingJobs(tmp_path / "state", LOCAL_ACCOUNT, LOCAL_REGION)
    before.create(_request("anomaly-before-restart", ANOMALY_JOB, {}))
    before.wait("anomaly-before-restart")
    finished = before.describe({"TrainingJobName": "anomaly-before-restart"})

    after = LocalTrainingJobs(tmp_path / "state", LOCAL_ACCOUNT, LOCAL_REGION)
    described = after.describe({"TrainingJobName": "anomaly-before-restart"})

    assert described["TrainingJobStatus"] == "Completed", described.get("FailureReason")
    assert described == finished
    model = described["ModelArtifacts"]["S3ModelArtifacts"]
    assert bucket.head_object(Bucket=BUCKET, Key=model.removeprefix(f"s3://{BUCKET}/"))["ContentLength"] > 0
    assert {metric["MetricName"] for metric in described["FinalMetricDataList"]} == set(ANOMALY.metrics)


def test_a_job_running_when_the_platform_stopped_ends_failed_saying_so(bucket: Any, tmp_path: Path) -> None:
    code = tmp_path / "code"
    code.mkdir()
    (code / "train.py").write_text(WAITING_JOB)
    release = tmp_path / "release"
    before = LocalTrainingJobs(tmp_path / "state", LOCAL_ACCOUNT, LOCAL_REGION)
    before.create(_request("running-at-restart", code, {"release": str(release)}))
    wait_until(
        lambda: before.describe({"TrainingJobName": "running-at-restart"})["SecondaryStatus"],
        lambda status: status == "Training",
    )

    after = LocalTrainingJobs(tmp_path / "state", LOCAL_ACCOUNT, LOCAL_REGION)
    described = after.describe({"TrainingJobName": "running-at-restart"})
    release.touch()
    before.wait("running-at-restart")

    assert (described["TrainingJobStatus"], described["FailureReason"]) == ("Failed", RESTARTED)
    assert "TrainingEndTime" in described


def test_clients_in_other_processes_see_the_jobs_on_the_emulations_port(bucket: Any, tmp_path: Path) -> None:
    jobs = LocalTrainingJobs(tmp_path / "state", LOCAL_ACCOUNT, LOCAL_REGION)

    def moto_answers_the_rest(_environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("404 Not Found", [])
        return []

    server = make_server("127.0.0.1", 0, jobs.wsgi(moto_answers_the_rest), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        # A session of its own: no in-process hook, the request goes over HTTP as the AWS CLI's does.
        client = boto3.Session(aws_access_key_id="local", aws_secret_access_key="local").client(
            "sagemaker", region_name=LOCAL_REGION, endpoint_url=f"http://127.0.0.1:{server.server_port}"
        )
        client.create_training_job(**_request("seen-over-http", ANOMALY_JOB, {"threshold": 5}))
        jobs.wait("seen-over-http")

        described = client.describe_training_job(TrainingJobName="seen-over-http")
        listed = client.list_training_jobs(NameContains="seen")["TrainingJobSummaries"]
        with pytest.raises(client.exceptions.ClientError) as unknown:
            client.describe_training_job(TrainingJobName="no-such-job")
    finally:
        server.shutdown()

    assert described["TrainingJobStatus"] == "Completed", described.get("FailureReason")
    assert described["HyperParameters"]["threshold"] == "5"
    assert isinstance(described["TrainingEndTime"], datetime)
    assert [(job["TrainingJobName"], job["TrainingJobStatus"]) for job in listed] == [("seen-over-http", "Completed")]
    assert unknown.value.response["Error"]["Code"] == "ValidationException"
