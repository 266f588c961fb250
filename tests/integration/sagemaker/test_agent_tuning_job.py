"""The agent tuning job under the emulation, as forge dev runs it: CreateTrainingJob tunes SmolLM2-135M with LoRA on
a tenant's examples, CreateEndpoint serves the model.tar.gz with the job's inference.py, and the platform's
`sagemaker` provider gets a turn from it in the endpoint contract."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from devserver.emulation import LOCAL_ACCOUNT, LOCAL_REGION
from devserver.sagemaker_hosting import LocalEndpointHosting
from devserver.sagemaker_runtime import LocalSageMakerEndpoints
from devserver.sagemaker_training import LocalTrainingJobs
from shared.agents.providers.contract import ModelTurnRequest, ProviderCall
from shared.agents.providers.sagemaker import PROVIDER
from shared.aws import clients
from tests.integration.sagemaker.conftest import AGENT_TUNING_JOB

BUCKET = "nexus-forge-local-ml"
EXAMPLES = [
    ("Status of order 7?", "Order 7 has shipped."),
    ("Status of order 9?", "Order 9 is delayed."),
    ("Status of order 12?", "Order 12 has shipped."),
    ("Status of order 15?", "Order 15 is delayed."),
]
METRICS = [
    {"Name": "loss", "Regex": r"validation:loss=([0-9.eE+-]+);"},
    {"Name": "base_loss", "Regex": r"validation:base_loss=([0-9.eE+-]+);"},
]


@pytest.fixture
def aws(
    agent_tuning_python: Path, smollm2_gguf: Path, tmp_path: Path
) -> Iterator[tuple[LocalTrainingJobs, LocalEndpointHosting]]:
    saved = boto3.DEFAULT_SESSION
    with mock_aws():
        boto3.setup_default_session(region_name=LOCAL_REGION)
        clients.sagemaker_runtime_client.cache_clear()
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket=BUCKET)
        lines = [
            json.dumps({"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}]})
            for q, a in EXAMPLES
        ]
        s3.put_object(Bucket=BUCKET, Key="datasets/tenant0001/examples.jsonl", Body="\n".join(lines).encode())
        s3.upload_file(str(smollm2_gguf), BUCKET, f"base-models/smollm2-135m/{smollm2_gguf.name}")
        runtime = LocalSageMakerEndpoints(LOCAL_ACCOUNT)
        runtime.install()
        jobs = LocalTrainingJobs(tmp_path / "state", LOCAL_ACCOUNT, LOCAL_REGION)
        jobs.install()
        hosting = LocalEndpointHosting(tmp_path / "state", LOCAL_ACCOUNT, LOCAL_REGION, runtime)
        hosting.install()
        yield jobs, hosting
        boto3.client("sagemaker").delete_endpoint(EndpointName="tuned-support")
    clients.sagemaker_runtime_client.cache_clear()
    boto3.DEFAULT_SESSION = saved


def _channel(name: str, prefix: str) -> dict[str, Any]:
    return {
        "ChannelName": name,
        "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/{prefix}"}},
    }


def _tune(jobs: LocalTrainingJobs) -> dict[str, Any]:
    sagemaker = boto3.client("sagemaker")
    sagemaker.create_training_job(
        TrainingJobName="tuning-support",
        HyperParameters={
            "sagemaker_program": json.dumps("train.py"),
            "sagemaker_submit_directory": json.dumps(AGENT_TUNING_JOB.as_uri()),
            "max_steps": "2",
            "max_length": "48",
            "batch_size": "2",
        },
        AlgorithmSpecification={
            "TrainingImage": "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.6-gpu-py312",
            "TrainingInputMode": "File",
            "MetricDefinitions": METRICS,
        },
        RoleArn=f"arn:aws:iam::{LOCAL_ACCOUNT}:role/nexus-forge-local-sagemaker",
        InputDataConfig=[_channel("train", "datasets/tenant0001"), _channel("base", "base-models/smollm2-135m")],
        OutputDataConfig={"S3OutputPath": f"s3://{BUCKET}/agent-models"},
        ResourceConfig={"InstanceType": "ml.g5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30},
        StoppingCondition={"MaxRuntimeInSeconds": 900},
    )
    jobs.wait("tuning-support", timeout=900)
    described: dict[str, Any] = sagemaker.describe_training_job(TrainingJobName="tuning-support")
    return described


def _deploy(hosting: LocalEndpointHosting, artifact: str) -> str:
    sagemaker = boto3.client("sagemaker")
    sagemaker.create_model(
        ModelName="tuned-support",
        PrimaryContainer={
            "Image": "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.6-cpu-py312",
            "ModelDataUrl": artifact,
            "Environment": {
                "SAGEMAKER_PROGRAM": "inference.py",
                "SAGEMAKER_SUBMIT_DIRECTORY": AGENT_TUNING_JOB.as_uri(),
            },
        },
        ExecutionRoleArn=f"arn:aws:iam::{LOCAL_ACCOUNT}:role/nexus-forge-local-sagemaker",
    )
    sagemaker.create_endpoint_config(
        EndpointConfigName="tuned-support",
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": "tuned-support",
                "ServerlessConfig": {"MemorySizeInMB": 3072, "MaxConcurrency": 1},
            }
        ],
    )
    sagemaker.create_endpoint(EndpointName="tuned-support", EndpointConfigName="tuned-support")
    hosting.wait("tuned-support", timeout=600)
    described = sagemaker.describe_endpoint(EndpointName="tuned-support")
    return f"{described['EndpointStatus']} {described.get('FailureReason', '')}".strip()


def test_a_tuned_model_is_served_by_a_local_endpoint_and_answers_the_sagemaker_provider(
    aws: tuple[LocalTrainingJobs, LocalEndpointHosting],
) -> None:
    jobs, hosting = aws
    started = time.monotonic()

    job = _tune(jobs)
    print(f"local agent tuning job: {time.monotonic() - started:.1f} s")

    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    metrics = {metric["MetricName"]: metric["Value"] for metric in job["FinalMetricDataList"]}
    assert set(metrics) == {"loss", "base_loss"}
    assert _deploy(hosting, job["ModelArtifacts"]["S3ModelArtifacts"]) == "InService"

    turn = PROVIDER.converse(
        ModelTurnRequest(
            model_id="tuned-support",
            messages=[{"role": "user", "content": [{"text": "Status of order 7?"}]}],
            max_tokens=8,
            temperature=0,
        ),
        ProviderCall(region=LOCAL_REGION, timeout_seconds=300),
    )
    structured = PROVIDER.converse(
        ModelTurnRequest(
            model_id="tuned-support",
            messages=[{"role": "user", "content": [{"text": "Status of order 9?"}]}],
            max_tokens=8,
            temperature=0,
            output_schema={"type": "object", "properties": {"status": {"type": "string"}}},
        ),
        ProviderCall(region=LOCAL_REGION, timeout_seconds=300),
    )

    assert turn.text.strip()
    assert turn.usage["output_tokens"] <= 8 and turn.usage["input_tokens"] > 5
    assert structured.text.startswith("{")
