"""Approvals on the running local platform: `forge dev` delivers the approvals queue to the intake function, and an
answer over HTTP resumes the real execution (the README's Approvals walk-through)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from devserver.subprocess_platform import LocalPlatform, tenant_owner
from tests.helpers import wait_until

pytestmark = pytest.mark.e2e

REFUND_WORKFLOW = {
    "name": "refund",
    "nodes": [
        {"id": "start", "type": "manual"},
        {
            "id": "sign_off",
            "type": "approval",
            "params": {"message": "{% 'Refund ' & $states.input.amount %}", "approvers": ["admin"]},
        },
    ],
    "edges": [{"from": "start", "to": "sign_off"}],
}


@pytest.fixture(scope="module")
def platform(shared_platform: LocalPlatform) -> LocalPlatform:
    return shared_platform


@pytest.fixture(scope="module")
def owner(platform: LocalPlatform) -> httpx.Client:
    return tenant_owner(platform, "refunds")


def start_refund(owner: httpx.Client, amount: int) -> tuple[str, dict[str, Any]]:
    workflow = owner.post("/v1/workflows", json=REFUND_WORKFLOW)
    assert workflow.status_code == 201, workflow.text
    workflow_id = workflow.json()["id"]
    assert owner.post(f"/v1/workflows/{workflow_id}/publish", json={}).status_code == 201
    started = owner.post(f"/v1/workflows/{workflow_id}/executions", json={"input": {"amount": amount}})
    assert started.status_code == 202, started.text
    execution_id: str = started.json()["execution_id"]
    (approval,) = wait_until(
        lambda: [
            item
            for item in owner.get("/v1/approvals", params={"status": "pending"}).json()["items"]
            if item["execution_id"] == execution_id
        ],
        bool,
        timeout=30,
    )
    return execution_id, approval


def ended(owner: httpx.Client, execution_id: str) -> dict[str, Any]:
    record: dict[str, Any] = wait_until(
        lambda: owner.get(f"/v1/executions/{execution_id}").json(),
        lambda record: record["status"] != "RUNNING",
        timeout=30,
    )
    return record


def test_an_approval_resumes_the_running_execution(owner: httpx.Client) -> None:
    execution_id, approval = start_refund(owner, 120)
    assert approval["message"] == "Refund 120" and approval["approvers"] == ["admin"]

    approved = owner.post(f"/v1/approvals/{approval['approval_id']}/approve", json={"comment": "ok"})

    assert approved.status_code == 200, approved.text
    record = ended(owner, execution_id)
    assert record["status"] == "SUCCEEDED", record
    assert record["output"]["approval"]["decision"] == "approved" and record["output"]["approval"]["by"] == "ada"
    assert record["output"]["input"] == {"amount": 120}
    assert owner.post(f"/v1/approvals/{approval['approval_id']}/reject").status_code == 409


def test_a_rejection_fails_the_running_execution(owner: httpx.Client) -> None:
    execution_id, approval = start_refund(owner, 99_000)

    rejected = owner.post(f"/v1/approvals/{approval['approval_id']}/reject", json={"comment": "too much"})

    assert rejected.status_code == 200, rejected.text
    record = ended(owner, execution_id)
    assert record["status"] == "FAILED" and record["error"] == "Approval.Rejected", record
