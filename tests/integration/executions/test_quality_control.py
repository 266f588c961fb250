"""Quality control of the ends the executions table's stream carries: a new version failing in its canary window is
rolled back by its workflow's policy, the event lists the evidence and what was done, an undo reverses it once, and
nothing reaches another workflow or tenant; a batch observes each workflow's ends with one read and one write of its
watch, and a batch delivered again observes nothing twice."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from fastapi.testclient import TestClient

from devserver.emulation import LOCAL_PREFIX
from devserver.table_stream_poller import TableStreamPoller
from shared.auth.principal import Role
from shared.catalog import function_physical_name
from shared.store.quality import QualityWatches
from shared.store.tenant_scoped import TenantContext, tenant_partition
from tests.integration.executions.support import (
    create_and_publish,
    deliver_executions_stream,
    failing_workflow,
    publish,
    transform_workflow,
)
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
    api: TestClient,
    world: TenantWorld,
    stream: TableStreamPoller,
    policy: dict[str, Any],
    workflow_id: str | None = None,
) -> tuple[str, list[str]]:
    """v1 succeeds 5 times, then v2 (always failing) runs until a run starts on v1 again (at most 15 runs); the
    stream's records are delivered after each run, as the poller's batching window would deliver them."""
    workflow_id = workflow_id or create_and_publish(api, world.headers[Role.OWNER], transform_workflow("{'ok': true}"))
    put = api.put(f"/v1/quality/policies/{workflow_id}", headers=world.headers[Role.EDITOR], json=policy)
    assert put.status_code == 200, put.text
    for _ in range(5):
        assert run_to_end(api, world, workflow_id, {})["status"] == "SUCCEEDED"
    deliver_executions_stream(stream)
    assert publish(api, world.headers[Role.EDITOR], workflow_id, failing_workflow()) == 2
    failed = []
    for attempt in range(15):
        ended = run_to_end(api, world, workflow_id, {"attempt": attempt})
        if ended["version"] == 1:
            break
        assert ended["status"] == "FAILED"
        failed.append(ended["execution_id"])
        deliver_executions_stream(stream)
    return workflow_id, failed


def test_a_new_version_failing_in_its_canary_window_is_rolled_back_with_its_evidence_and_the_undo_reverses_it(
    api, alpha, bravo, status_watcher, executions_stream
) -> None:
    bystander = create_and_publish(api, alpha.headers[Role.OWNER], transform_workflow("1"))
    other_tenant = create_and_publish(api, bravo.headers[Role.OWNER], transform_workflow("1"))

    workflow_id, failed = deploy_bad_version(api, alpha, executions_stream, ROLLBACK_POLICY)

    # The delivery of the failure that crossed the boundary rolled back: the next run ran on v1.
    assert live_version(api, alpha, workflow_id) == 1
    (event,) = quality_events(api, alpha, workflow_id=workflow_id)
    assert event["signal"] == "canary_failure_rate" and event["version"] == 2
    evidence = event["evidence"]
    assert evidence["baseline_version"] == 1 and evidence["canary_failures"] == len(failed) < 15
    assert set(evidence["failed_executions"]) <= set(failed) and evidence["execution_id"] == failed[-1]
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
    api, alpha, status_watcher, executions_stream
) -> None:
    workflow_id, failed = deploy_bad_version(
        api, alpha, executions_stream, {"actions": ["notify"], "canary_executions": 10}
    )

    assert live_version(api, alpha, workflow_id) == 2 and len(failed) == 15
    events = quality_events(api, alpha, workflow_id=workflow_id)
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
    api, alpha, status_watcher, executions_stream
) -> None:
    bystander = create_and_publish(api, alpha.headers[Role.OWNER], transform_workflow("1"))
    kept = api.post("/v1/hooks", headers=alpha.headers[Role.EDITOR], json={"workflow_id": bystander, "name": "kept"})
    policy = {"actions": ["pause_triggers"], "canary_executions": 10}
    workflow_id = create_and_publish(api, alpha.headers[Role.OWNER], transform_workflow("{'ok': true}"))
    hook = api.post("/v1/hooks", headers=alpha.headers[Role.EDITOR], json={"workflow_id": workflow_id, "name": "h"})
    hook_path = f"/v1/hooks/{hook.json()['hook_id']}"

    deploy_bad_version(api, alpha, executions_stream, policy, workflow_id)

    (event,) = quality_events(api, alpha, workflow_id=workflow_id)
    assert event["actions"][0]["status"] == "done"
    assert api.get(hook_path, headers=alpha.headers[Role.VIEWER]).json()["enabled"] is False
    assert api.get(f"/v1/hooks/{kept.json()['hook_id']}", headers=alpha.headers[Role.VIEWER]).json()["enabled"] is True

    undone = api.post(f"/v1/quality/events/{event['event_id']}/undo", headers=alpha.headers[Role.EDITOR])

    assert undone.json()["undo_results"][0]["status"] == "undone"
    assert api.get(hook_path, headers=alpha.headers[Role.VIEWER]).json()["enabled"] is True


class WatchCalls:
    """The DynamoDB calls made on one tenant's quality watches, as (operation, workflow id); `failing` workflows'
    watch writes are refused as a throttled table would refuse them."""

    def __init__(self, tenant_id: str) -> None:
        self.partition = tenant_partition(tenant_id, QualityWatches.collection)
        self.calls: list[tuple[str, str]] = []
        self.failing: set[str] = set()

    def seen(self, operation: str, kwargs: dict[str, Any]) -> None:
        key = kwargs.get("Key", {})
        if key.get("pk", {}).get("S") != self.partition:
            return
        workflow_id = key["sk"]["S"]
        self.calls.append((operation, workflow_id))
        if operation == "UpdateItem" and workflow_id in self.failing:
            error = {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "throttled"}}
            raise ClientError(error, operation)  # type: ignore[arg-type]


@pytest.fixture
def watch_calls(alpha: TenantWorld, monkeypatch: pytest.MonkeyPatch) -> WatchCalls:
    from pynamodb.connection.base import Connection

    watched = WatchCalls(alpha.tenant_id)
    make_call = Connection._make_api_call

    def counting(self: Connection, operation: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        watched.seen(operation, kwargs)
        answer: dict[str, Any] = make_call(self, operation, kwargs)
        return answer

    monkeypatch.setattr(Connection, "_make_api_call", counting)
    return watched


def observed_executions(world: TenantWorld, workflow_id: str) -> int:
    watch = QualityWatches(TenantContext(world.tenant_id)).get(workflow_id, consistent=True)
    return 0 if watch is None else sum(version["executions"] for version in watch.state["versions"].values())


def test_a_batch_observes_each_workflows_ends_with_one_read_and_one_write_and_a_batch_delivered_again_adds_none(
    api, alpha, status_watcher, executions_stream, emulated_aws, watch_calls, monkeypatch
) -> None:
    owner = alpha.headers[Role.OWNER]
    steady = create_and_publish(api, owner, transform_workflow("1"))
    failing = create_and_publish(api, owner, failing_workflow())
    for workflow_id in (steady, steady, steady, failing, failing):
        run_to_end(api, alpha, workflow_id, {})
    consumer = function_physical_name(LOCAL_PREFIX, "execution_usage")
    delivered: list[bytes] = []
    invoke = emulated_aws.invoke

    def recorded(name: str, payload: bytes, *rest: Any) -> Any:
        if name == consumer:
            delivered.append(payload)
        return invoke(name, payload, *rest)

    monkeypatch.setattr(emulated_aws, "invoke", recorded)

    deliver_executions_stream(executions_stream)

    assert sorted(watch_calls.calls) == sorted(
        [("GetItem", steady), ("UpdateItem", steady), ("GetItem", failing), ("UpdateItem", failing)]
    )
    assert observed_executions(alpha, steady) == 3 and observed_executions(alpha, failing) == 2
    # The event source mapping retries a batch: delivered again, each watch is read and nothing is observed twice.
    watch_calls.calls.clear()
    for batch in delivered:
        assert invoke(consumer, batch).get("FunctionError") is None
    assert sorted(watch_calls.calls) == sorted([("GetItem", steady), ("GetItem", failing)])
    assert observed_executions(alpha, steady) == 3 and observed_executions(alpha, failing) == 2


def test_a_workflow_whose_watch_cannot_be_written_fails_the_batch_after_the_others_and_its_retry_observes_it_once(
    api, alpha, status_watcher, executions_stream, watch_calls
) -> None:
    owner = alpha.headers[Role.OWNER]
    steady = create_and_publish(api, owner, transform_workflow("1"))
    throttled = create_and_publish(api, owner, transform_workflow("2"))
    for workflow_id in (steady, throttled, steady, throttled):
        run_to_end(api, alpha, workflow_id, {})
    watch_calls.failing.add(throttled)

    deliver_executions_stream(executions_stream)

    # The other workflow's ends are observed; the batch stays to be delivered again.
    assert observed_executions(alpha, steady) == 2 and observed_executions(alpha, throttled) == 0
    assert executions_stream.poll_once() == 0

    watch_calls.failing.clear()
    deliver_executions_stream(executions_stream)

    assert observed_executions(alpha, steady) == 2 and observed_executions(alpha, throttled) == 2
