"""Approval workflows for the tests, and delivering the approvals queue to the intake function as Lambda would."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from devserver.approvals_poller import ApprovalsQueuePoller
from shared.auth.principal import Role
from tests.helpers import wait_until
from tests.integration.tenancy.conftest import TenantWorld
from tests.workflows.cases import chain, node


def approval_workflow(approvers: list[str] | None = None, expires_in_seconds: int = 3_600) -> dict[str, Any]:
    return {
        "name": "sign-off",
        "nodes": [
            node("start", "manual"),
            node(
                "sign_off",
                "approval",
                message="{% 'Ship order ' & $states.input.order %}",
                approvers=approvers or [],
                expires_in_seconds=expires_in_seconds,
            ),
        ],
        "edges": chain("start", "sign_off"),
    }


def delivered_approvals(
    api: TestClient, headers: dict[str, str], poller: ApprovalsQueuePoller, execution_id: str
) -> list[dict[str, Any]]:
    """Delivers what the approvals queue holds, then lists the execution's approvals, newest first."""
    poller.poll_once(wait_seconds=0)
    items: list[dict[str, Any]] = api.get("/v1/approvals", headers=headers).json()["items"]
    return [item for item in items if item["execution_id"] == execution_id]


def start_and_wait_for_approval(
    api: TestClient, headers: dict[str, str], poller: ApprovalsQueuePoller, workflow_id: str, run_input: Any
) -> tuple[str, dict[str, Any]]:
    """Starts the workflow and delivers the queue until its approval is pending; returns the execution id and it."""
    started = api.post(f"/v1/workflows/{workflow_id}/executions", headers=headers, json={"input": run_input})
    assert started.status_code == 202, started.text
    execution_id: str = started.json()["execution_id"]
    (approval,) = wait_until(lambda: delivered_approvals(api, headers, poller, execution_id), bool)
    return execution_id, approval


def add_pending_approval(api: TestClient, world: TenantWorld, poller: ApprovalsQueuePoller) -> None:
    """Publishes an approval workflow for the tenant and starts it; sets `world.approval_id` to its pending approval."""
    from tests.integration.executions.support import create_and_publish

    workflow_id = create_and_publish(api, world.headers[Role.OWNER], approval_workflow())
    execution_id, approval = start_and_wait_for_approval(
        api, world.headers[Role.OWNER], poller, workflow_id, {"order": world.slug}
    )
    world.approval_id = approval["approval_id"]
    world.identifiers |= {world.approval_id, workflow_id, execution_id}
