"""Quality control in the status path: a new version failing in its canary window is rolled back by its workflow's
policy, the event lists the evidence and what was done, an undo reverses it once, and nothing reaches another
workflow or tenant."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from shared.auth.principal import Role
from tests.helpers import wait_until
from tests.integration.executions.support import create_and_publish, failing_workflow, publish, transform_workflow
from tests.integration.executions.test_status_updates import run_to_end
from tests.integration.tenancy.conftest import TenantWorld, make_tenant

ROLLBACK_POLICY = {"actions": ["notify", "rollback", "retry_failed"], "canary_executions": 20}


# These tests start and follow tens of runs in a few seconds: a basic tier's burst of 20 requests would refuse them.
@pytest.fixture
def alpha(api: TestClient, issuer, admin_headers) -> TenantWorld:
    return make_tenant(api, issuer, admin_headers, "alpha", tier="enterprise")


@pytest.fixture
def bravo(api: TestClient, issuer, admin_headers) -> TenantWorld:
    return make_tenant(api, issuer, admin_headers, "bravo", tier="enterprise")


def live_version(api: TestClient, world: TenantWorld, workflow_id: str) -> int:
    version: int = api.get(f"/v1/workflows/{workflow_id}", headers=world.headers[Role.VIEWER]).json()["live_version"]
    return version


def quality_events(api: TestClient, world: TenantWorld, **params: str) -> list[dict[str, Any]]:
    page = api.get("/v1/quality/events", headers=world.headers[Role.VIEWER], params=params)
    assert page.status_code == 200, page.text
    items: list[dict[str, Any]] = page.json()["items"]
    return items


def deploy_bad_version(
    api: TestClient, world: TenantWorld, policy: dict[str, Any], workflow_id: str | None = None
) -> tuple[str, list[str]]:
    """v1 succeeds 5 times, then v2 (always failing) runs until a run starts on v1 again (at most 15 runs)."""
    workflow_id = workflow_id or create_and_publish(api, world.headers[Role.OWNER], transform_workflow("{'ok': true}"))
    put = api.put(f"/v1/quality/policies/{workflow_id}", headers=world.headers[Role.EDITOR], json=policy)
    assert put.status_code == 200, put.text
    for _ in range(5):
        assert run_to_end(api, world, workflow_id, {})["status"] == "SUCCEEDED"
    assert publish(api, world.headers[Role.EDITOR], workflow_id, failing_workflow()) == 2
    failed = []
    # The record ends before the status path's quality control acts: a run may start on v2 just before its rollback.
    for attempt in range(15):
        ended = run_to_end(api, world, workflow_id, {"attempt": attempt})
        if ended["version"] == 1:
            break
        assert ended["status"] == "FAILED"
        failed.append(ended["execution_id"])
    return workflow_id, failed


def test_a_new_version_failing_in_its_canary_window_is_rolled_back_with_its_evidence_and_the_undo_reverses_it(
    api, alpha, bravo, status_watcher
) -> None:
    bystander = create_and_publish(api, alpha.headers[Role.OWNER], transform_workflow("1"))
    other_tenant = create_and_publish(api, bravo.headers[Role.OWNER], transform_workflow("1"))

    workflow_id, failed = deploy_bad_version(api, alpha, ROLLBACK_POLICY)

    assert wait_until(lambda: live_version(api, alpha, workflow_id), lambda live: live == 1)
    # The event is written before its actions run, and their results after: wait for those.
    (event,) = wait_until(
        lambda: quality_events(api, alpha, workflow_id=workflow_id), lambda events: bool(events[0]["actions"])
    )
    assert event["signal"] == "canary_failure_rate" and event["version"] == 2
    evidence = event["evidence"]
    assert evidence["baseline_version"] == 1 and evidence["canary_failures"] <= len(failed) < 15
    assert set(evidence["failed_executions"]) <= set(failed)
    assert [(action["action"], action["status"]) for action in event["actions"]] == [
        ("notify", "done"),
        ("rollback", "done"),
        ("retry_failed", "done"),
    ]
    # The failed inputs re-ran on the version made live again.
    reruns = api.get("/v1/executions", headers=alpha.headers[Role.VIEWER], params={"workflow_id": workflow_id})
    assert {run["version"] for run in reruns.json()["items"] if run["trigger"] == "rerun"} == {1}
    # Nothing else moved: the tenant's other workflow, the other tenant's events.
    assert live_version(api, alpha, bystander) == 1 and live_version(api, bravo, other_tenant) == 1
    assert quality_events(api, bravo) == []

    undone = api.post(f"/v1/quality/events/{event['event_id']}/undo", headers=alpha.headers[Role.EDITOR])

    assert undone.status_code == 200, undone.text
    assert live_version(api, alpha, workflow_id) == 2
    assert [result["status"] for result in undone.json()["undo_results"]][1] == "undone"
    again = api.post(f"/v1/quality/events/{event['event_id']}/undo", headers=alpha.headers[Role.EDITOR])
    assert again.status_code == 409
    assert (
        api.post(f"/v1/quality/events/{event['event_id']}/undo", headers=bravo.headers[Role.EDITOR]).status_code == 404
    )


def test_without_a_rollback_policy_the_bad_version_stays_live_and_the_event_only_notifies(
    api, alpha, status_watcher
) -> None:
    workflow_id, failed = deploy_bad_version(api, alpha, {"actions": ["notify"], "canary_executions": 10})

    assert live_version(api, alpha, workflow_id) == 2 and len(failed) == 15
    events = wait_until(
        lambda: quality_events(api, alpha, workflow_id=workflow_id), lambda found: bool(found and found[0]["actions"])
    )
    assert [event["signal"] for event in events] == ["canary_failure_rate"]
    assert [action["action"] for action in events[0]["actions"]] == ["notify"]


def test_a_policy_of_a_workflow_of_another_tenant_is_not_found_and_a_bad_action_is_named(api, alpha, bravo) -> None:
    theirs = api.post("/v1/workflows", headers=bravo.headers[Role.OWNER], json=transform_workflow("1")).json()["id"]

    assert api.get(f"/v1/quality/policies/{theirs}", headers=alpha.headers[Role.VIEWER]).status_code == 404
    refused = api.put(
        f"/v1/quality/policies/{theirs}", headers=bravo.headers[Role.EDITOR], json={"actions": ["reboot"]}
    )
    assert refused.status_code == 422
    assert "/actions/0" in refused.text


def test_pause_triggers_disables_the_workflows_webhooks_only_and_the_undo_enables_them_again(
    api, alpha, status_watcher
) -> None:
    bystander = create_and_publish(api, alpha.headers[Role.OWNER], transform_workflow("1"))
    kept = api.post("/v1/hooks", headers=alpha.headers[Role.EDITOR], json={"workflow_id": bystander, "name": "kept"})
    policy = {"actions": ["pause_triggers"], "canary_executions": 10}
    workflow_id = create_and_publish(api, alpha.headers[Role.OWNER], transform_workflow("{'ok': true}"))
    hook = api.post("/v1/hooks", headers=alpha.headers[Role.EDITOR], json={"workflow_id": workflow_id, "name": "h"})
    hook_path = f"/v1/hooks/{hook.json()['hook_id']}"

    deploy_bad_version(api, alpha, policy, workflow_id)

    (event,) = wait_until(
        lambda: quality_events(api, alpha, workflow_id=workflow_id), lambda found: bool(found and found[0]["actions"])
    )
    assert event["actions"][0]["status"] == "done"
    assert api.get(hook_path, headers=alpha.headers[Role.VIEWER]).json()["enabled"] is False
    assert api.get(f"/v1/hooks/{kept.json()['hook_id']}", headers=alpha.headers[Role.VIEWER]).json()["enabled"] is True

    undone = api.post(f"/v1/quality/events/{event['event_id']}/undo", headers=alpha.headers[Role.EDITOR])

    assert undone.json()["undo_results"][0]["status"] == "undone"
    assert api.get(hook_path, headers=alpha.headers[Role.VIEWER]).json()["enabled"] is True


def test_ends_of_one_workflow_observed_at_once_in_a_process_are_all_counted_in_one_read_and_one_write(
    alpha, monkeypatch
) -> None:
    from aws_lambda_powertools import Logger
    from pynamodb.connection.base import Connection

    from shared.executions.record import AppliedChange
    from shared.quality import service
    from shared.store.executions import Executions
    from shared.store.quality import QualityWatches
    from shared.store.tenant_scoped import TenantContext

    tenant = TenantContext(alpha.tenant_id)
    ends = []
    for index in range(6):
        record = Executions(tenant).new(f"ex{index}", workflow_id="wf_watched", version=1, status="SUCCEEDED")
        record.duration_ms, record.stopped_at = 100 + index, datetime.now(UTC)
        ends.append(AppliedChange(tenant, record, ended=True))
    calls: list[str] = []
    first_read_may_go = threading.Event()
    make_call = Connection._make_api_call

    def counting(self: Connection, operation: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        calls.append(operation)
        if operation == "GetItem" and calls.count("GetItem") == 1:
            first_read_may_go.wait(timeout=30)
        answer: dict[str, Any] = make_call(self, operation, kwargs)
        return answer

    monkeypatch.setattr(Connection, "_make_api_call", counting)
    # Given the first end's read of the workflow's state held, the five others arrive meanwhile.
    threads = [threading.Thread(target=service.observe_execution_end, args=(end, Logger())) for end in ends]
    threads[0].start()
    wait_until(lambda: calls, lambda made: made == ["GetItem"])
    for thread in threads[1:]:
        thread.start()
    wait_until(lambda: len(service._watch_writes._queued.get((alpha.tenant_id, "wf_watched"), [])), lambda n: n == 5)

    first_read_may_go.set()
    for thread in threads:
        thread.join(timeout=30)
    made = list(calls)

    watched = QualityWatches(tenant).get("wf_watched", consistent=True)
    assert watched is not None and watched.state["versions"]["1"]["executions"] == 6
    assert made == ["GetItem", "UpdateItem", "GetItem", "UpdateItem"]
