"""Approvals end to end in the emulation: the real compiled workflow waits on its task token, the intake function
records the request from the queue, and the API's answer resumes (or fails) the real execution."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from typing import Any

import pytest

from shared.auth.principal import Role
from shared.workflows.nodes.approval import ApprovalNode
from tests.helpers import wait_until
from tests.integration.approvals.support import approval_workflow, delivered_approvals, start_and_wait_for_approval
from tests.integration.approvals.test_intake import invoke_intake, sqs_record
from tests.integration.executions.support import create_and_publish

EXECUTION_ARN_PREFIX = "arn:aws:states:us-east-1:123456789012:execution:nexus-forge-local-wf-w"


def ended(api, headers: dict[str, str], execution_id: str) -> dict[str, Any]:
    record: dict[str, Any] = wait_until(
        lambda: api.get(f"/v1/executions/{execution_id}", headers=headers).json(),
        lambda record: record["status"] != "RUNNING",
    )
    return record


def test_approve_resumes_the_execution_with_the_decision_and_only_once(api, alpha, poller, status_watcher) -> None:
    owner, editor = alpha.headers[Role.OWNER], alpha.headers[Role.EDITOR]
    workflow_id = create_and_publish(api, owner, approval_workflow())
    execution_id, pending = start_and_wait_for_approval(api, editor, poller, workflow_id, {"order": "A-1"})

    assert pending["status"] == "pending" and pending["message"] == "Ship order A-1"
    assert pending["workflow_id"] == workflow_id and pending["node_id"] == "sign_off"
    read = api.get(f"/v1/approvals/{pending['approval_id']}", headers=alpha.headers[Role.VIEWER])
    assert read.status_code == 200 and read.json()["input"] == {"order": "A-1"}
    assert "task_token" not in read.text and "token" not in json.dumps(read.json())

    approved = api.post(f"/v1/approvals/{pending['approval_id']}/approve", headers=editor, json={"comment": "ship it"})

    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved" and approved.json()["answered_by"] == "alpha-editor"
    record = ended(api, editor, execution_id)
    assert record["status"] == "SUCCEEDED", record
    decision = record["output"]["approval"]
    assert decision["decision"] == "approved" and decision["by"] == "alpha-editor" and decision["comment"] == "ship it"
    assert decision["approval_id"] == pending["approval_id"]
    assert record["output"]["input"] == {"order": "A-1"}
    again = api.post(f"/v1/approvals/{pending['approval_id']}/approve", headers=owner)
    assert again.status_code == 409 and again.json()["type"].endswith("/approval-answered")
    assert api.post(f"/v1/approvals/{pending['approval_id']}/reject", headers=owner).status_code == 409
    audit = api.get("/v1/audit-events", headers=owner).json()["items"]
    answers = [event for event in audit if event["action"] == "POST /v1/approvals/{approval_id}/approve"]
    # The answer that counted is audited; refused ones (4xx) are not state changes.
    assert [(event["actor"], event["status_code"]) for event in answers] == [("alpha-editor", 200)]


def test_reject_fails_the_execution_with_approval_rejected(api, alpha, poller, status_watcher) -> None:
    owner, editor = alpha.headers[Role.OWNER], alpha.headers[Role.EDITOR]
    workflow_id = create_and_publish(api, owner, approval_workflow())
    execution_id, pending = start_and_wait_for_approval(api, editor, poller, workflow_id, {"order": "B-2"})

    rejected = api.post(f"/v1/approvals/{pending['approval_id']}/reject", headers=editor, json={"comment": "no stock"})

    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["status"] == "rejected" and rejected.json()["comment"] == "no stock"
    record = ended(api, editor, execution_id)
    assert record["status"] == "FAILED" and record["error"] == "Approval.Rejected", record
    assert json.loads(record["cause"])["comment"] == "no stock"
    assert api.post(f"/v1/approvals/{pending['approval_id']}/approve", headers=editor).status_code == 409
    listed = api.get("/v1/approvals?status=rejected", headers=editor).json()["items"]
    assert [item["approval_id"] for item in listed] == [pending["approval_id"]]
    assert api.get("/v1/approvals?status=pending", headers=editor).json()["items"] == []


def test_only_the_named_approvers_may_answer(api, alpha, poller) -> None:
    owner, admin, editor = (alpha.headers[role] for role in (Role.OWNER, Role.ADMIN, Role.EDITOR))
    # A role admits that role and higher; anything else is a member's subject.
    workflow_id = create_and_publish(api, owner, approval_workflow(approvers=["owner", "alpha-editor"]))
    _, pending = start_and_wait_for_approval(api, editor, poller, workflow_id, {"order": "C-3"})
    answer = f"/v1/approvals/{pending['approval_id']}/approve"

    not_named = api.post(answer, headers=admin)
    viewer = api.post(answer, headers=alpha.headers[Role.VIEWER])

    assert not_named.status_code == 403 and not_named.json()["type"].endswith("/not-an-approver"), not_named.text
    # A role the route refuses is refused before the approvers are looked at.
    assert viewer.status_code == 403 and viewer.json()["type"].endswith("/forbidden")
    assert api.get(f"/v1/approvals/{pending['approval_id']}", headers=admin).json()["status"] == "pending"
    assert api.post(answer, headers=editor).status_code == 200


def test_another_tenant_finds_nothing(api, alpha, bravo, poller) -> None:
    workflow_id = create_and_publish(api, alpha.headers[Role.OWNER], approval_workflow())
    _, pending = start_and_wait_for_approval(api, alpha.headers[Role.EDITOR], poller, workflow_id, {"order": "D-4"})
    path = f"/v1/approvals/{pending['approval_id']}"

    for method, url in (("GET", path), ("POST", f"{path}/approve"), ("POST", f"{path}/reject")):
        response = api.request(method, url, headers=bravo.headers[Role.OWNER])
        assert response.status_code == 404, (method, url, response.text)
    assert api.get("/v1/approvals", headers=bravo.headers[Role.OWNER]).json()["items"] == []
    assert api.get(path, headers=alpha.headers[Role.VIEWER]).json()["status"] == "pending"


@pytest.fixture
def two_second_approvals(monkeypatch: pytest.MonkeyPatch) -> int:
    """The node's shortest expiry is a minute; the compiled state and its request get 2 s so no test waits that long."""
    seconds = 2
    emit = ApprovalNode.emit

    def emit_with_a_short_expiry(self, params, wiring):
        states = emit(self, params, wiring)
        state = states[wiring.node.id]
        state["TimeoutSeconds"] = seconds
        state["Arguments"]["MessageBody"]["expires_in_seconds"] = seconds
        return states

    monkeypatch.setattr(ApprovalNode, "emit", emit_with_a_short_expiry)
    return seconds


def test_an_expired_approval_cannot_be_answered_and_the_execution_times_out(
    api, alpha, poller, status_watcher, two_second_approvals
) -> None:
    owner, editor = alpha.headers[Role.OWNER], alpha.headers[Role.EDITOR]
    workflow_id = create_and_publish(api, owner, approval_workflow())
    execution_id, pending = start_and_wait_for_approval(api, editor, poller, workflow_id, {"order": "E-5"})

    record = ended(api, editor, execution_id)

    assert record["status"] == "FAILED" and record["error"] == "States.Timeout", record
    shown = api.get(f"/v1/approvals/{pending['approval_id']}", headers=editor).json()
    assert shown["status"] == "expired", shown
    assert datetime.fromisoformat(shown["expires_at"]) <= datetime.fromisoformat(record["stopped_at"]), (shown, record)
    late = api.post(f"/v1/approvals/{pending['approval_id']}/approve", headers=editor)
    assert late.status_code == 410 and late.json()["type"].endswith("/approval-expired"), late.text
    expired = api.get("/v1/approvals?status=expired", headers=editor).json()["items"]
    assert [item["approval_id"] for item in expired] == [pending["approval_id"]]


def test_a_retried_approval_node_asks_again_with_its_whole_expiry(
    api, alpha, poller, status_watcher, two_second_approvals
) -> None:
    owner, editor = alpha.headers[Role.OWNER], alpha.headers[Role.EDITOR]
    workflow = approval_workflow()
    workflow["nodes"][1]["retry"] = {"errors": ["States.Timeout"], "max_attempts": 1, "interval_seconds": 1}
    workflow_id = create_and_publish(api, owner, workflow)
    execution_id, first = start_and_wait_for_approval(api, editor, poller, workflow_id, {"order": "E-6"})

    # The retry keeps the state's entered time, by now more than the expiry ago, but its timer starts anew.
    second, again_first = wait_until(
        lambda: delivered_approvals(api, editor, poller, execution_id), lambda approvals: len(approvals) == 2
    )

    assert again_first["approval_id"] == first["approval_id"]
    lifetime = datetime.fromisoformat(second["expires_at"]) - datetime.fromisoformat(second["created_at"])
    assert lifetime == timedelta(seconds=two_second_approvals), second
    record = ended(api, editor, execution_id)
    assert record["status"] == "FAILED" and record["error"] == "States.Timeout", record
    # A retry's approval counts from the request's send, a moment after its timer started: expired or withdrawn.
    late = api.post(f"/v1/approvals/{second['approval_id']}/approve", headers=editor)
    assert late.status_code in (409, 410), late.text


def test_expiry_follows_the_clock_even_while_the_execution_still_waits(api, alpha, poller, monkeypatch) -> None:
    from shared.approvals import service

    owner, editor = alpha.headers[Role.OWNER], alpha.headers[Role.EDITOR]
    workflow_id = create_and_publish(api, owner, approval_workflow(expires_in_seconds=600))
    _, pending = start_and_wait_for_approval(api, editor, poller, workflow_id, {"order": "F-6"})
    real_now = service.utc_now
    monkeypatch.setattr(service, "utc_now", lambda: real_now() + timedelta(seconds=601))

    late = api.post(f"/v1/approvals/{pending['approval_id']}/reject", headers=editor)

    assert late.status_code == 410, late.text
    assert api.get("/v1/approvals?status=pending", headers=editor).json()["items"] == []
    assert api.get(f"/v1/approvals/{pending['approval_id']}", headers=editor).json()["status"] == "expired"


def test_an_approval_no_execution_waits_for_any_more_is_withdrawn(api, alpha, emulated_aws) -> None:
    """Step Functions refuses a token no task waits on (the execution was stopped or ended): the answer is a 409."""
    execution_arn = (
        "arn:aws:states:us-east-1:123456789012:execution:nexus-forge-local-wf-gone:"
        f"{alpha.tenant_id}_0192f3a4b5c6d7e8f9a0b1c"
    )
    request = {
        "task_token": "a-token-no-execution-waits-for",
        "tenant_id": alpha.tenant_id,
        "workflow_id": "gone",
        "node_id": "sign_off",
        "execution_id": execution_arn,
        "message": "Ship order G-7",
        "expires_in_seconds": 3600,
    }
    invoke_intake(emulated_aws, sqs_record("m-1", request, sent_ms=int(time.time() * 1000)))
    (pending,) = api.get("/v1/approvals", headers=alpha.headers[Role.VIEWER]).json()["items"]

    late = api.post(f"/v1/approvals/{pending['approval_id']}/approve", headers=alpha.headers[Role.EDITOR])

    assert late.status_code == 409 and late.json()["type"].endswith("/approval-withdrawn"), late.text
    assert api.get(f"/v1/approvals/{pending['approval_id']}", headers=alpha.headers[Role.EDITOR]).json()["status"] == (
        "withdrawn"
    )


def test_the_list_pages_newest_first_with_a_cursor_only_its_tenant_can_use(api, alpha, bravo, emulated_aws) -> None:
    now_ms = int(time.time() * 1000)
    for n in range(3):
        request = {
            "task_token": f"token-{n}",
            "tenant_id": alpha.tenant_id,
            "workflow_id": "w",
            "node_id": "sign_off",
            "execution_id": f"{EXECUTION_ARN_PREFIX}:{alpha.tenant_id}_0192f3a4b5c6d7e8f9a0b1{n}",
            "message": f"request {n}",
            "expires_in_seconds": 3600,
        }
        invoke_intake(emulated_aws, sqs_record(f"m-{n}", request, sent_ms=now_ms + n))
    viewer = alpha.headers[Role.VIEWER]

    first = api.get("/v1/approvals?limit=2", headers=viewer).json()
    second = api.get(f"/v1/approvals?limit=2&cursor={first['next_cursor']}", headers=viewer).json()
    stolen = api.get(f"/v1/approvals?limit=2&cursor={first['next_cursor']}", headers=bravo.headers[Role.VIEWER])

    assert [item["message"] for item in first["items"] + second["items"]] == ["request 2", "request 1", "request 0"]
    assert second["next_cursor"] is None
    assert stolen.status_code == 400 and stolen.json()["type"].endswith("/invalid-cursor")


def test_cancelling_an_execution_that_waits_for_an_approval_aborts_it_and_withdraws_the_approval(
    api, alpha, poller, status_watcher
) -> None:
    owner, editor = alpha.headers[Role.OWNER], alpha.headers[Role.EDITOR]
    workflow_id = create_and_publish(api, owner, approval_workflow())
    execution_id, pending = start_and_wait_for_approval(api, editor, poller, workflow_id, {"order": "A-9"})

    cancelled = api.post(f"/v1/executions/{execution_id}/cancel", headers=editor)

    assert cancelled.status_code == 202, cancelled.text
    assert ended(api, editor, execution_id)["status"] == "ABORTED"
    late = api.post(f"/v1/approvals/{pending['approval_id']}/approve", headers=editor)
    assert late.status_code == 409 and late.json()["type"].endswith("/approval-withdrawn"), late.text
