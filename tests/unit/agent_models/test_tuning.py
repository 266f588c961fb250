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
    endpoint_name,
    foreign_tuned_model,
    plan_tuning,
)
from shared.problems import ValidationFailed
from tests.workflows.cases import TENANT_ID, chain, node
from tests.workflows.support import validate

BUCKET = "nexus-forge-dev-payloads-123456789012-us-east-1"
PLACE = TuningPlace(
    prefix="nexus-forge-dev", bucket=BUCKET, code_uri=f"s3://{BUCKET}/ml/code/agent_tuning/sourcedir.tar.gz"
)


def test_the_training_job_reads_the_tenants_dataset_and_writes_under_its_prefix() -> None:
    request = TuningRequest(name="support", hyperparameters={"max_steps": 50})

    training = plan_tuning(PLACE, "tenant0001", "a1b2c3d4", request)["training"]

    uris = [channel["DataSource"]["S3DataSource"]["S3Uri"] for channel in training["input"]]
    assert uris == [
        f"s3://{BUCKET}/tenants/tenant0001/agent-models/a1b2c3d4/dataset/",
        f"s3://{BUCKET}/base-models/smollm2-135m-instruct/",
    ]
    assert training["output_path"] == f"s3://{BUCKET}/tenants/tenant0001/agent-models/a1b2c3d4/"
    assert training["checkpoint_prefix"].startswith(training["output_path"])
    assert training["hyperparameters"]["max_steps"] == "50"
    assert json.loads(training["hyperparameters"]["sagemaker_program"]) == "train.py"
    assert training["resources"]["InstanceType"] == "ml.g5.xlarge"


def test_forge_devs_base_models_are_a_local_folder() -> None:
    local = TuningPlace(prefix="nexus-forge-local", bucket="b", code_uri="file:///code", base_models_root="file:///m/")

    training = plan_tuning(local, "tenant0001", "a1b2c3d4", TuningRequest(name="support"))["training"]

    assert training["input"][1]["DataSource"]["S3DataSource"]["S3Uri"] == "file:///m/smollm2-135m-instruct/"


def test_the_cost_cap_becomes_the_runtime_and_a_cap_too_small_names_the_field() -> None:
    request = TuningRequest(name="support", instance_type="ml.m5.xlarge", max_cost_usd=0.46, spot=False)

    assert plan_tuning(PLACE, "tenant0001", "a1b2c3d4", request)["training"]["stopping"] == {
        "MaxRuntimeInSeconds": 7200
    }
    with pytest.raises(ValidationFailed) as refused:
        plan_tuning(PLACE, "tenant0001", "a1b2c3d4", TuningRequest(name="support", max_cost_usd=0.01))
    assert [param.name for param in refused.value.invalid_params] == ["/body/max_cost_usd"]


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


def test_a_serverless_or_a_realtime_endpoint_serves_the_model_named_after_the_job() -> None:
    name = endpoint_name("nexus-forge-dev", "tenant0001", "a1b2c3d4")

    serverless = plan_tuning(PLACE, "tenant0001", "a1b2c3d4", TuningRequest(name="x"))["endpoint"]
    realtime = plan_tuning(
        PLACE,
        "tenant0001",
        "a1b2c3d4",
        TuningRequest(name="x", endpoint=EndpointChoice(kind="realtime", instance_type="ml.g5.xlarge")),
    )["endpoint"]

    assert serverless["variants"] == [
        {
            "VariantName": "AllTraffic",
            "ModelName": name,
            "ServerlessConfig": {"MemorySizeInMB": 3072, "MaxConcurrency": 1},
        }
    ]
    assert realtime["variants"][0]["InstanceType"] == "ml.g5.xlarge"
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
