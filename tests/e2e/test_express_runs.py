"""Express runs on the running local platform: one started without a wait is handed to the express runner, whose
asynchronous invocation `forge dev` runs in an API worker (the emulation's Lambda `Event` invoke), and its record
ends with its output; a failure still starts the workflow's express error workflow."""

from __future__ import annotations

import itertools
from typing import Any

import httpx
import pytest

from devserver.subprocess_platform import LocalPlatform, tenant_owner
from tests.e2e.test_approvals import ended
from tests.helpers import wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def owner(shared_platform: LocalPlatform) -> httpx.Client:
    return tenant_owner(shared_platform, "express")


def published(owner: httpx.Client, document: dict[str, Any]) -> str:
    workflow = owner.post("/v1/workflows", json=document)
    assert workflow.status_code == 201, workflow.text
    workflow_id: str = workflow.json()["id"]
    assert owner.post(f"/v1/workflows/{workflow_id}/publish", json={}).status_code == 201
    return workflow_id


def express(name: str, *nodes: dict[str, Any], **settings: Any) -> dict[str, Any]:
    ids = ["start", *(node["id"] for node in nodes)]
    return {
        "name": name,
        "settings": {"mode": "express", **settings},
        "nodes": [{"id": "start", "type": "manual"}, *nodes],
        "edges": [{"from": earlier, "to": later} for earlier, later in itertools.pairwise(ids)],
    }


def test_an_express_run_started_without_wait_ends_with_its_output(owner: httpx.Client) -> None:
    greet = published(
        owner,
        express("greet", {"id": "hello", "type": "transform", "params": {"expression": "{'hi': $states.input.n}"}}),
    )

    started = owner.post(f"/v1/workflows/{greet}/executions", json={"input": {"n": 7}})

    assert started.status_code == 202, started.text
    record = ended(owner, started.json()["execution_id"])
    assert record["status"] == "SUCCEEDED" and record["output"] == {"hi": 7}


def test_an_express_failure_starts_its_express_error_workflow(owner: httpx.Client) -> None:
    on_error = published(
        owner, express("on error", {"id": "note", "type": "transform", "params": {"expression": "{'noted': true}"}})
    )
    failing = published(
        owner,
        express(
            "failing",
            {"id": "explode", "type": "fail", "params": {"error": "Boom", "cause": "always"}},
            error_workflow_id=on_error,
        ),
    )

    started = owner.post(f"/v1/workflows/{failing}/executions", json={"input": {}})

    execution_id = started.json()["execution_id"]
    assert ended(owner, execution_id)["status"] == "FAILED"
    (error_run,) = wait_until(
        lambda: owner.get("/v1/executions", params={"trigger": "error_workflow"}).json()["items"],
        lambda items: len(items) == 1,
        timeout=30,
    )
    assert error_run["source"] == execution_id
    assert ended(owner, error_run["execution_id"])["output"] == {"noted": True}
