"""A custom agent model under `make run`: POST /v1/agent-models to `forge dev` (a subprocess, its API in worker
processes) runs the agent_tuning pipeline for real (LoRA steps on SmolLM2-135M in the job's own environment, the gate
against the base model, the registry, a local endpoint serving the model with the job's inference.py), the API sees the
model ready, an agent node of a published workflow then calls it through the `sagemaker` provider, and the model can be
deleted only once no live version uses it, which stops its endpoint.

Kept small on purpose (ten examples, three steps of 48 tokens, an 8-token answer): the real path, not a benchmark
(make bench BENCH=agent_tuning measures it). The job's environment is the session fixture's, built once per checkout
under .forge/ml-envs/, which forge dev then finds."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from botocore.exceptions import ClientError

from devserver.emulation import LOCAL_REGION
from devserver.subprocess_platform import LocalPlatform, tenant_owner
from tests.e2e.test_local_processes import descendants
from tests.helpers import wait_until
from tests.workflows.cases import chain, node

pytestmark = pytest.mark.e2e

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
def platform(agent_tuning_python: Path, tmp_path: Path) -> Iterator[LocalPlatform]:
    running = LocalPlatform(state_dir=tmp_path)
    running.start()
    yield running
    running.stop()


def _agent_workflow(model: dict[str, str]) -> dict[str, Any]:
    return {
        "name": "order desk",
        "nodes": [
            node("start", "manual"),
            node("answer", "agent", model=model, prompt="{% $states.input.question %}", max_tokens=8, temperature=0),
        ],
        "edges": chain("start", "answer"),
    }


def _model_servers(platform: LocalPlatform) -> list[int]:
    """The endpoint model servers (devserver/sagemaker_serving_worker.py) the platform runs."""
    assert platform.process is not None
    return [pid for pid in descendants(platform.process.pid) if b"sagemaker_serving_worker.py" in _command_line(pid)]


def _command_line(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _publish(owner: httpx.Client, workflow_id: str, document: dict[str, Any] | None = None) -> None:
    if document is not None:
        revision = owner.get(f"/v1/workflows/{workflow_id}").json()["revision"]
        updated = owner.put(f"/v1/workflows/{workflow_id}", headers={"if-match": str(revision)}, json=document)
        assert updated.status_code == 200, updated.text
    published = owner.post(f"/v1/workflows/{workflow_id}/publish", json={})
    assert published.status_code == 201, published.text


def test_a_model_tuned_through_the_api_answers_an_agent_node_and_is_deleted_once_unused(
    platform: LocalPlatform,
) -> None:
    owner = tenant_owner(platform, "tuner", tier="enterprise")

    started = owner.post("/v1/agent-models", json=TUNING)
    assert started.status_code == 202, started.text
    model_id = started.json()["model_id"]
    assert started.json()["dataset"] == {"from_memory": 0, "uploaded": 10, "left_out": 0}

    def read() -> dict[str, Any]:
        body: dict[str, Any] = owner.get(f"/v1/agent-models/{model_id}").json()
        return body

    model = wait_until(read, lambda body: body["status"] not in ("training", "deploying"), timeout=TIMEOUT)
    assert model["status"] == "ready", model
    assert model["metrics"]["loss"] <= model["metrics"]["base_loss"]
    assert model["progress_percent"] == 100.0
    assert [item["model_id"] for item in owner.get("/v1/agent-models").json()["items"]] == [model_id]

    created = owner.post("/v1/workflows", json=_agent_workflow(model["agent_node_model"]))
    assert created.status_code == 201, created.text
    workflow_id = created.json()["id"]
    _publish(owner, workflow_id)
    run = owner.post(f"/v1/workflows/{workflow_id}/executions", json={"input": {"question": "Status of order 4?"}})
    assert run.status_code == 202, run.text
    execution_id = run.json()["execution_id"]
    ended = wait_until(
        lambda: owner.get(f"/v1/executions/{execution_id}").json(),
        lambda execution: execution["status"] != "RUNNING",
        timeout=TIMEOUT,
    )
    assert ended["status"] == "SUCCEEDED", ended
    assert ended["output"]["answer"].strip()
    assert 0 < ended["output"]["usage"]["output_tokens"] <= 8

    in_use = owner.delete(f"/v1/agent-models/{model_id}")
    assert in_use.status_code == 409, in_use.text
    assert workflow_id in in_use.json()["detail"]

    sagemaker = boto3.client(
        "sagemaker",
        endpoint_url=platform.aws_url,
        region_name=LOCAL_REGION,
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    assert sagemaker.describe_endpoint(EndpointName=model["endpoint_name"])["EndpointStatus"] == "InService"
    assert _model_servers(platform)

    _publish(owner, workflow_id, _agent_workflow({"provider": "bedrock", "model_id": "local.smollm2-135m-instruct"}))
    assert owner.delete(f"/v1/agent-models/{model_id}").status_code == 204
    assert owner.get(f"/v1/agent-models/{model_id}").status_code == 404
    assert not _model_servers(platform)
    assert model["endpoint_name"] not in [
        endpoint["EndpointName"] for endpoint in sagemaker.list_endpoints()["Endpoints"]
    ]
    with pytest.raises(ClientError) as stopped:
        sagemaker.describe_endpoint(EndpointName=model["endpoint_name"])
    assert stopped.value.response["Error"]["Code"] == "ValidationException"
