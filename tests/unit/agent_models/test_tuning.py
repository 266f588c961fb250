"""The agent tuning kind's SageMaker requests stay inside the tenant's prefix, and a tuned model is usable only by
its own tenant's agent nodes."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from shared.agent_models.tuning import (
    EndpointChoice,
    TuningPlace,
    TuningRequest,
    deployment_requests,
    endpoint_name,
    foreign_tuned_model,
    training_job_request,
)
from tests.workflows.cases import TENANT_ID, chain, node
from tests.workflows.support import validate

PLACE = TuningPlace(
    prefix="nexus-forge-dev",
    bucket="nexus-forge-ml-123456789012-us-east-1",
    role_arn="arn:aws:iam::123456789012:role/nexus-forge-sagemaker",
    training_image="763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.6-gpu-py312",
    inference_image="763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.6-cpu-py312",
)


def test_the_training_job_reads_the_tenants_dataset_and_writes_under_its_prefix() -> None:
    request = TuningRequest(name="support", hyperparameters={"max_steps": 50})

    job = training_job_request(PLACE, "tenant0001", "a1b2c3d4", request)

    uris = [channel["DataSource"]["S3DataSource"]["S3Uri"] for channel in job["InputDataConfig"]]
    assert uris == [
        f"s3://{PLACE.bucket}/tenants/tenant0001/agent-models/a1b2c3d4/dataset/",
        f"s3://{PLACE.bucket}/base-models/smollm2-135m-instruct/",
    ]
    assert job["OutputDataConfig"]["S3OutputPath"] == f"s3://{PLACE.bucket}/tenants/tenant0001/agent-models/a1b2c3d4/"
    assert job["HyperParameters"]["max_steps"] == "50"
    assert json.loads(job["HyperParameters"]["sagemaker_program"]) == "train.py"
    assert job["ResourceConfig"]["InstanceType"] == "ml.g5.xlarge"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "instance_type": "ml.p5.48xlarge"}, ("instance_type",)),
        ({"name": "x", "hyperparameters": {"max_steps": 0}}, ("hyperparameters", "max_steps")),
        ({"name": "x", "hyperparameters": {"epochs": 3}}, ("hyperparameters", "epochs")),
        ({"name": "x", "endpoint": {"kind": "serverless", "memory_mb": 1500}}, ("endpoint", "memory_mb")),
    ],
)
def test_a_bad_setting_names_its_field(body: dict, field: tuple[str, ...]) -> None:
    with pytest.raises(ValidationError) as raised:
        TuningRequest.model_validate(body)

    assert [error["loc"] for error in raised.value.errors()] == [field]


def test_a_serverless_and_a_realtime_endpoint_serve_the_same_model_with_its_inference_script() -> None:
    artifact = f"s3://{PLACE.bucket}/tenants/tenant0001/agent-models/a1b2c3d4/tuned/output/model.tar.gz"

    model, serverless, endpoint = deployment_requests(PLACE, "tenant0001", "a1b2c3d4", artifact, EndpointChoice())
    _, realtime, _ = deployment_requests(
        PLACE, "tenant0001", "a1b2c3d4", artifact, EndpointChoice(kind="realtime", instance_type="ml.g5.xlarge")
    )

    assert model["PrimaryContainer"]["ModelDataUrl"] == artifact
    assert model["PrimaryContainer"]["Environment"]["SAGEMAKER_PROGRAM"] == "inference.py"
    assert serverless["ProductionVariants"][0]["ServerlessConfig"] == {"MemorySizeInMB": 3072, "MaxConcurrency": 1}
    assert realtime["ProductionVariants"][0]["InstanceType"] == "ml.g5.xlarge"
    name = endpoint_name("nexus-forge-dev", "tenant0001", "a1b2c3d4")
    assert endpoint == {"EndpointName": name, "EndpointConfigName": name}
    assert name.startswith("nexus-forge-dev-tm-") and len(endpoint_name("p" * 28, "t" * 40, "a1b2c3d4")) <= 63


def test_only_another_tenants_tuned_endpoint_is_foreign() -> None:
    assert foreign_tuned_model("tenant0001", endpoint_name(PLACE.prefix, "tenant0002", "a1b2c3d4"))
    assert not foreign_tuned_model("tenant0001", endpoint_name(PLACE.prefix, "tenant0001", "a1b2c3d4"))
    assert not foreign_tuned_model("tenant0001", "invoice-classifier")


def _agent_on(model_id: str) -> dict:
    return {
        "name": "tuned agent",
        "nodes": [
            node("start", "manual"),
            node("answer", "agent", model={"provider": "sagemaker", "model_id": model_id}, prompt="hi"),
        ],
        "edges": chain("start", "answer"),
    }


def test_an_agent_node_naming_another_tenants_tuned_model_is_refused_naming_the_field() -> None:
    foreign_name = endpoint_name(PLACE.prefix, "tenant0002", "a1b2c3d4")
    foreign = validate(_agent_on(foreign_name))
    own = validate(_agent_on(endpoint_name(PLACE.prefix, TENANT_ID, "a1b2c3d4")))

    assert [(finding.pointer, finding.reason) for finding in foreign.findings] == [
        ("/nodes/1/params/model/model_id", f"no tuned model {foreign_name!r} exists in this tenant")
    ]
    assert own.valid, own.findings
