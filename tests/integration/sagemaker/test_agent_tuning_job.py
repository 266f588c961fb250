"""A custom agent model as `make run` makes one: POST /v1/agent-models runs the agent_tuning pipeline for real (LoRA
steps on SmolLM2-135M in the job's own environment, the gate against the base model, the registry, a local endpoint
serving the model with the job's inference.py), an agent node of a published workflow then calls it through the
`sagemaker` provider, and the model can be deleted only once no live version uses it.

Kept small on purpose (ten examples, three steps of 48 tokens, an 8-token answer): the real path, not a benchmark
(make bench BENCH=agent_tuning measures it)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from fastapi.testclient import TestClient

from devserver.emulation import LOCAL_ACCOUNT, LOCAL_REGION
from devserver.lambda_runtime import LocalLambdaRuntime
from devserver.sagemaker_hosting import LocalEndpointHosting
from devserver.sagemaker_runtime import LocalSageMakerEndpoints
from devserver.sagemaker_training import LocalTrainingJobs
from shared.auth.principal import Role
from shared.aws import clients
from tests.helpers import wait_until
from tests.integration.executions.support import create_and_publish, publish
from tests.integration.tenancy.conftest import TenantWorld, make_tenant
from tests.workflows.cases import chain, node

STATUSES = ("has shipped", "is delayed")
EXAMPLES = "\n".join(
    json.dumps(
        {
            "messages": [
                {"role": "user", "content": f"Status of order {number}?"},
                {"role": "assistant", "content": f"Order {number} {STATUSES[number % 2]}."},
            ]
        }
    )
    for number in range(1, 11)
)
TUNING = {
    "name": "order desk",
    "examples": EXAMPLES,
    "hyperparameters": {"max_steps": 3, "max_length": 48, "batch_size": 2, "learning_rate": 0.002},
    "instance_type": "ml.m5.xlarge",
}
# The job's environment exists (the session fixture); training, the endpoint's start and a turn take about a minute
# on a quiet machine, several under load.
TIMEOUT = 900.0


@pytest.fixture
def sagemaker_runtime(
    emulated_aws: LocalLambdaRuntime, agent_tuning_python: Path, tmp_path: Path
) -> Iterator[LocalEndpointHosting]:
    """forge dev's SageMaker: training jobs in subprocesses, endpoints in workers, InvokeEndpoint routed to them."""
    clients.sagemaker_runtime_client.cache_clear()
    endpoints = LocalSageMakerEndpoints(LOCAL_ACCOUNT)
    endpoints.install()
    LocalTrainingJobs(tmp_path, LOCAL_ACCOUNT, LOCAL_REGION).install()
    hosting = LocalEndpointHosting(tmp_path, LOCAL_ACCOUNT, LOCAL_REGION, endpoints)
    hosting.install()
    yield hosting
    clients.sagemaker_runtime_client.cache_clear()


@pytest.fixture
def tenant(api: TestClient, issuer: Any, admin_headers: dict[str, str]) -> TenantWorld:
    return make_tenant(api, issuer, admin_headers, "tuner", tier="enterprise")


def _agent_workflow(model: dict[str, str]) -> dict[str, Any]:
    return {
        "name": "order desk",
        "nodes": [
            node("start", "manual"),
            node("answer", "agent", model=model, prompt="{% $states.input.question %}", max_tokens=8, temperature=0),
        ],
        "edges": chain("start", "answer"),
    }


def test_a_model_tuned_through_the_api_answers_an_agent_node_and_is_deleted_once_unused(
    api: TestClient, tenant: TenantWorld, sagemaker_runtime: LocalEndpointHosting, status_watcher: Any
) -> None:
    owner, viewer = tenant.headers[Role.OWNER], tenant.headers[Role.VIEWER]

    started = api.post("/v1/agent-models", headers=owner, json=TUNING)
    assert started.status_code == 202, started.text
    model_id = started.json()["model_id"]
    assert started.json()["dataset"] == {"from_memory": 0, "uploaded": 10, "left_out": 0}

    def read() -> dict[str, Any]:
        body: dict[str, Any] = api.get(f"/v1/agent-models/{model_id}", headers=viewer).json()
        return body

    model = wait_until(read, lambda body: body["status"] not in ("training", "deploying"), timeout=TIMEOUT)
    assert model["status"] == "ready", model
    assert model["metrics"]["loss"] <= model["metrics"]["base_loss"]
    assert model["progress_percent"] == 100.0
    assert [item["model_id"] for item in api.get("/v1/agent-models", headers=viewer).json()["items"]] == [model_id]

    workflow_id = create_and_publish(api, owner, _agent_workflow(model["agent_node_model"]))
    run = api.post(
        f"/v1/workflows/{workflow_id}/executions", headers=owner, json={"input": {"question": "Status of order 4?"}}
    )
    assert run.status_code == 202, run.text
    execution_id = run.json()["execution_id"]
    ended = wait_until(
        lambda: api.get(f"/v1/executions/{execution_id}", headers=viewer).json(),
        lambda execution: execution["status"] != "RUNNING",
        timeout=TIMEOUT,
    )
    assert ended["status"] == "SUCCEEDED", ended
    assert ended["output"]["answer"].strip()
    assert 0 < ended["output"]["usage"]["output_tokens"] <= 8

    in_use = api.delete(f"/v1/agent-models/{model_id}", headers=owner)
    assert in_use.status_code == 409, in_use.text
    assert workflow_id in in_use.json()["detail"]

    publish(
        api, owner, workflow_id, _agent_workflow({"provider": "bedrock", "model_id": "local.smollm2-135m-instruct"})
    )
    assert api.delete(f"/v1/agent-models/{model_id}", headers=owner).status_code == 204
    assert api.get(f"/v1/agent-models/{model_id}", headers=viewer).status_code == 404
    endpoints = boto3.client("sagemaker").list_endpoints()["Endpoints"]
    assert model["endpoint_name"] not in [endpoint["EndpointName"] for endpoint in endpoints]
