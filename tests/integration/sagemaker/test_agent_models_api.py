"""POST /v1/agent-models refuses bad input with a problem naming the field, before a dataset is written or a pipeline
started (the examples a tenant sends are checked line by line), and only a tenant's admins tune."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from fastapi.testclient import TestClient

from devserver.emulation import LOCAL_REGION
from shared.auth.principal import Role
from tests.integration.tenancy.conftest import TenantWorld, make_tenant


def _line(question: str, answer: str) -> str:
    return json.dumps({"messages": [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]})


GOOD = _line("Status of order 7?", "Order 7 has shipped.")


@pytest.fixture
def tenant(api: TestClient, issuer: Any, admin_headers: dict[str, str]) -> TenantWorld:
    return make_tenant(api, issuer, admin_headers, "tuning-checks", tier="basic")


def _pipeline_runs() -> int:
    machines = boto3.client("stepfunctions", region_name=LOCAL_REGION).list_state_machines()["stateMachines"]
    tuning = next(machine for machine in machines if machine["name"].endswith("-agent-tuning"))
    listed = boto3.client("stepfunctions", region_name=LOCAL_REGION).list_executions(
        stateMachineArn=tuning["stateMachineArn"]
    )
    return len(listed["executions"])


# Each body beside the fields its problem names.
BAD_BODIES: list[tuple[dict[str, Any], list[str]]] = [
    (
        {"examples": f"{GOOD}\n{_line('My key?', 'It is AKIAIOSFODNN7EXAMPLE.')}"},
        ["/body/examples/2/messages/1/content"],
    ),
    ({"examples": f'{GOOD}\n{{"messages": []}}'}, ["/body/examples/2"]),
    ({"examples": GOOD, "hyperparameters": {"learning_rate": 0.5}}, ["/body/hyperparameters/learning_rate"]),
    ({"examples": GOOD, "hyperparameters": {"epochs": 3}}, ["/body/hyperparameters/epochs"]),
    ({"examples": GOOD, "instance_type": "ml.p5.48xlarge"}, ["/body/instance_type"]),
    ({"examples": GOOD, "max_cost_usd": 0.05}, ["/body/max_cost_usd"]),
    ({"examples": "", "include_agent_memory": True}, ["/body/examples"]),
]


def test_bad_input_is_a_422_naming_the_field_and_starts_nothing(api: TestClient, tenant: TenantWorld) -> None:
    editor = api.post("/v1/agent-models", headers=tenant.headers[Role.EDITOR], json={"name": "x", "examples": GOOD})
    named = []
    for body, _ in BAD_BODIES:
        response = api.post("/v1/agent-models", headers=tenant.headers[Role.ADMIN], json={"name": "support", **body})
        named.append([param["name"] for param in response.json().get("invalid-params", [])])

    assert editor.status_code == 403
    assert named == [fields for _, fields in BAD_BODIES]
    assert _pipeline_runs() == 0
    assert api.get("/v1/agent-models", headers=tenant.headers[Role.VIEWER]).json()["items"] == []
