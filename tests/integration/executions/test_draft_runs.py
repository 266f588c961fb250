"""Test runs of a draft (POST /v1/workflows/{id}/test-runs): the draft's compiled ASL run for real with a sample
input, each node's step answered, and nothing of it left behind: no execution, no version, no state machine."""

from __future__ import annotations

from typing import Any

import boto3
from fastapi.testclient import TestClient

from devserver.emulation import LOCAL_REGION
from shared.auth.principal import Role
from shared.workflows import test_runs
from tests.integration.executions.support import failing_workflow, transform_workflow, waiting_workflow
from tests.integration.tenancy.conftest import TenantWorld


def create(api: TestClient, world: TenantWorld, document: dict[str, Any]) -> str:
    created = api.post("/v1/workflows", headers=world.headers[Role.EDITOR], json=document)
    assert created.status_code == 201, created.text
    workflow_id: str = created.json()["id"]
    return workflow_id


def run_draft(api: TestClient, world: TenantWorld, workflow_id: str, sample: Any, role: Role = Role.EDITOR) -> Any:
    return api.post(f"/v1/workflows/{workflow_id}/test-runs", headers=world.headers[role], json={"input": sample})


def state_machine_names() -> list[str]:
    machines = boto3.client("stepfunctions", region_name=LOCAL_REGION).list_state_machines()["stateMachines"]
    return [machine["name"] for machine in machines]


def test_an_unpublished_draft_runs_with_a_sample_input_and_answers_each_nodes_output(
    api, alpha, status_watcher
) -> None:
    workflow_id = create(api, alpha, transform_workflow("{'greeting': 'hi ' & $states.input.name}"))

    ran = run_draft(api, alpha, workflow_id, {"name": "Ada"})

    assert ran.status_code == 200, ran.text
    answer = ran.json()
    assert (answer["test_run"], answer["status"], answer["output"]) == (True, "SUCCEEDED", {"greeting": "hi Ada"})
    assert [(step["node_id"], step["status"]) for step in answer["steps"]] == [
        ("start", "SUCCEEDED"),
        ("shape", "SUCCEEDED"),
    ]
    assert answer["steps"][1]["input"] == {"name": "Ada"}
    assert answer["steps"][1]["output"] == {"greeting": "hi Ada"}
    assert answer["steps"][1]["duration_ms"] is not None
    # A test run is not an execution, publishes nothing, and leaves no state machine behind.
    viewer = alpha.headers[Role.VIEWER]
    assert api.get("/v1/executions", headers=viewer, params={"workflow_id": workflow_id}).json()["items"] == []
    assert api.get(f"/v1/workflows/{workflow_id}", headers=viewer).json()["latest_version"] is None
    assert not [name for name in state_machine_names() if workflow_id in name]


def test_a_failing_draft_answers_the_failed_node_with_its_error(api, alpha) -> None:
    workflow_id = create(api, alpha, failing_workflow())

    answer = run_draft(api, alpha, workflow_id, {"x": 1}).json()

    assert (answer["status"], answer["error"]) == ("FAILED", "Boom")
    failed = [step for step in answer["steps"] if step["status"] == "FAILED"]
    assert [step["node_id"] for step in failed] == ["explode"]
    assert answer["cause"] == "the explode node always fails"


def test_a_run_past_its_time_is_stopped_and_answers_the_steps_so_far(api, alpha, monkeypatch) -> None:
    monkeypatch.setattr(test_runs, "TEST_RUN_SECONDS", 0.5)
    workflow_id = create(api, alpha, waiting_workflow(60))

    answer = run_draft(api, alpha, workflow_id, {}).json()

    assert (answer["status"], answer["error"]) == ("ABORTED", "TestRunTimedOut")
    assert answer["steps"][0]["node_id"] == "start"
    assert not [name for name in state_machine_names() if workflow_id in name]


def test_a_viewer_another_tenant_and_an_input_over_256_kb_are_refused(api, alpha, bravo) -> None:
    workflow_id = create(api, alpha, transform_workflow("$states.input"))

    assert run_draft(api, alpha, workflow_id, {}, role=Role.VIEWER).status_code == 403
    assert run_draft(api, bravo, workflow_id, {}).status_code == 404
    too_large = run_draft(api, alpha, workflow_id, {"text": "x" * 256 * 1024})
    assert too_large.status_code == 422
    assert [param["name"] for param in too_large.json()["invalid-params"]] == ["/input"]
