"""Sync-mode webhook deliveries and MCP calls without polling: an express workflow runs with StartSyncExecution, a
standard one is waited for on its status change; and the DynamoDB round trips a delivery costs, counted."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient

from devserver.data_plane import DataPlane, MotoDispatch, bind_data_plane
from devserver.end_relay import DataPlaneRelay, EndBoard
from functions.execution_events.handler import handler as execution_events
from shared.agents.mcp.workflow_tools import run_workflow_tool
from shared.auth.principal import Role
from shared.executions.end_signals import deliver_here, relay_ends
from shared.executions.error_workflows import start_error_workflow
from shared.store.tenant_scoped import TenantContext
from shared.triggers.webhooks import receive_delivery
from tests.integration.executions.conftest import DynamoDbCalls
from tests.integration.executions.support import (
    create_and_publish,
    deliver_executions_stream,
    transform_workflow,
    waiting_workflow,
)
from tests.integration.executions.test_express_logs import CONTEXT, delivery, log_events
from tests.integration.executions.test_status_updates import running_count
from tests.integration.executions.test_webhooks import executions, signed_headers
from tests.integration.tenancy.conftest import TenantWorld


def make_hook(api: TestClient, world: TenantWorld, document: dict[str, Any], **options: Any) -> dict[str, Any]:
    workflow_id = create_and_publish(api, world.headers[Role.OWNER], document)
    created = api.post(
        "/v1/hooks", headers=world.headers[Role.EDITOR], json={"workflow_id": workflow_id, "name": "sync", **options}
    )
    assert created.status_code == 201, created.text
    hook: dict[str, Any] = created.json()
    return hook


def echo_sync_hook(api: TestClient, world: TenantWorld) -> dict[str, Any]:
    """A sync endpoint of an express workflow that answers with the delivery's body."""
    document = transform_workflow("{'echo': $states.input.body}", mode="express")
    return make_hook(api, world, document, response_mode="sync", response_timeout_seconds=5)


def deliver(hook: dict[str, Any], payload: Any, message_id: str) -> Any:
    body = json.dumps(payload).encode()
    return receive_delivery(
        hook["hook_id"],
        signed_headers(hook["secret"], body, message_id=message_id),
        body,
        after_end=start_error_workflow,
    )


def test_a_sync_delivery_to_an_express_workflow_answers_without_any_status_event(api, alpha) -> None:
    # No status watcher: nothing but the synchronous start can end the record in time.
    hook = echo_sync_hook(api, alpha)
    body = b'{"order": 3}'

    answered = api.post(hook["url"], content=body, headers=signed_headers(hook["secret"], body))

    assert answered.status_code == 200, answered.text
    assert answered.json() == {"echo": {"order": 3}}
    (run,) = executions(api, alpha)
    assert run["status"] == "SUCCEEDED" and answered.headers["location"] == f"/v1/executions/{run['execution_id']}"
    assert running_count(alpha) == 0


def test_quality_control_counts_the_end_of_each_synchronous_express_run_once(api, alpha, executions_stream) -> None:
    """A sync delivery's end, a wait=true run's and an MCP call's are applied by their caller; quality control sees
    them on the executions table's stream as it sees every end (it once never did: these ends went unwatched)."""
    from shared.store.quality import QualityWatches

    hook = echo_sync_hook(api, alpha)
    body = b'{"order": 4}'
    assert api.post(hook["url"], content=body, headers=signed_headers(hook["secret"], body)).status_code == 200
    waited = api.post(
        f"/v1/workflows/{hook['workflow_id']}/executions",
        params={"wait": "true"},
        headers=alpha.headers[Role.EDITOR],
        json={"input": {}},
    )
    assert waited.status_code == 200, waited.text
    outcome = run_workflow_tool(TenantContext(alpha.tenant_id), hook["workflow_id"], {"order": 5}, start_error_workflow)
    assert not outcome.is_error

    deliver_executions_stream(executions_stream)

    watched = QualityWatches(TenantContext(alpha.tenant_id)).get(hook["workflow_id"], consistent=True)
    assert watched is not None and watched.state["versions"]["1"]["executions"] == 3


def test_round_trips_of_a_delivery_async_and_sync_express(api, alpha, dynamodb_calls: DynamoDbCalls) -> None:
    """Async: the endpoint, the live version, the start transaction (≤ 3); a replay of it, before: those, the key
    and the execution read (5), now the key comes back with the refused transaction (4). Sync express, before:
    those, then the RUNNING and the end as two updates, the slot given back and the record read again (7, and
    without a status watcher the poll never saw the end); then the start and the end as one update, whose answer is
    the record, and the slot given back (5); then the slot came back in the end's transaction (4). Now a warm
    container reads the endpoint and its workflow in one BatchGetItem: async 2, a replay 3, sync express 3 (issue
    #18: at most 3 per delivery). Quality control's read and write of the workflow's watch item (2 more a sync run,
    where its end was applied) come from the executions table's stream now, per workflow and batch."""
    document = transform_workflow("{'echo': $states.input.body}", mode="express")
    async_hook = make_hook(api, alpha, document)
    sync_hook = make_hook(api, alpha, document, response_mode="sync")
    # The first delivery of each fills the container's caches (tenant standing, published version).
    deliver(async_hook, {}, "msg_warm_async")
    deliver(sync_hook, {}, "msg_warm_sync")

    mark = len(dynamodb_calls.calls)
    _, first, _ = deliver(async_hook, {"n": 1}, "msg_async")
    async_trips = dynamodb_calls.since(mark)
    mark = len(dynamodb_calls.calls)
    _, replayed, replay_started = deliver(async_hook, {"n": 1}, "msg_async")
    replay_trips = dynamodb_calls.since(mark)
    mark = len(dynamodb_calls.calls)
    _, ended, started = deliver(sync_hook, {"n": 2}, "msg_sync")
    sync_trips = dynamodb_calls.since(mark)

    assert async_trips == ["BatchGetItem", "TransactWriteItems"]
    # The refused transaction returns the key's item: only the execution it names is read.
    assert replayed.execution_id == first.execution_id and not replay_started
    assert replay_trips == ["BatchGetItem", "TransactWriteItems", "GetItem"]
    assert started and ended.status == "SUCCEEDED" and ended.output == {"echo": {"n": 2}}
    assert sync_trips == ["BatchGetItem", "TransactWriteItems", "TransactWriteItems"]
    assert int(ended.revision) == 2 and [t.status for t in ended.transitions] == ["RUNNING", "SUCCEEDED"]


def test_the_express_log_of_a_sync_delivery_costs_the_status_path_one_read_and_no_write(
    api, alpha, dynamodb_calls: DynamoDbCalls
) -> None:
    """The run's start and end arrive in one log batch after StartSyncExecution's answer applied both: one read
    finds them applied (two before, one per event)."""
    hook = make_hook(api, alpha, transform_workflow("$states.input.body", mode="express"), response_mode="sync")
    _, ended, _ = deliver(hook, {"n": 1}, "msg_logged")
    region, account, _, machine, name = ended.execution_arn.split(":")[3:8]
    described = {
        "executionArn": ended.execution_arn,
        "stateMachineArn": f"arn:aws:states:{region}:{account}:stateMachine:{machine}",
        "name": name,
        "status": "SUCCEEDED",
        "startDate": ended.started_at,
        "stopDate": ended.stopped_at,
        "input": json.dumps(ended.input),
        "output": json.dumps(ended.output),
    }
    events = log_events(described)

    mark = len(dynamodb_calls.calls)
    result = execution_events(delivery(*events["ExecutionStarted"], *events["ExecutionSucceeded"]), CONTEXT)

    assert result == {"applied": [], "changes": 2}
    assert dynamodb_calls.since(mark) == ["GetItem"]


def test_a_sync_delivery_to_a_standard_workflow_is_woken_by_its_status_change(
    api, alpha, status_watcher, dynamodb_calls: DynamoDbCalls
) -> None:
    hook = make_hook(api, alpha, waiting_workflow(1), response_mode="sync", response_timeout_seconds=20)

    _, ended, started = deliver(hook, {"order": 5}, "msg_standard")

    assert started and ended.status == "SUCCEEDED"
    # One read closes the race with an end applied before the wait began; the end itself arrives as a signal
    # (a poll from 50 ms on read the record about seven times during the second the workflow waits).
    assert dynamodb_calls.record_reads() == 1


@pytest.fixture
def status_path_elsewhere(status_watcher: Any) -> Iterator[None]:
    """As in `forge dev`: the status path runs in another process than the wait (execution_events in whichever API
    worker the emulation hands it to), and ends reach the waiter through the emulation's board over the data plane."""
    listener, url = bind_data_plane("127.0.0.1")
    plane = DataPlane("us-east-1", lambda method, target: None, MotoDispatch(), EndBoard())
    plane.start(listener)
    deliver_here(False)
    relay_ends(DataPlaneRelay(url))
    yield
    relay_ends(None)
    deliver_here()
    plane.stop()


def test_a_sync_delivery_to_a_standard_workflow_whose_status_path_runs_in_another_process_is_woken_by_its_end(
    api, alpha, status_path_elsewhere: None, dynamodb_calls: DynamoDbCalls
) -> None:
    hook = make_hook(api, alpha, waiting_workflow(1), response_mode="sync", response_timeout_seconds=20)

    _, ended, started = deliver(hook, {"order": 7}, "msg_elsewhere")

    assert started and ended.status == "SUCCEEDED" and ended.output is not None
    # The ended record comes with the signal: the wait reads nothing (polling read it about seven times).
    assert dynamodb_calls.record_reads() == 0


def test_a_sync_delivery_still_running_at_its_timeout_is_answered_202_with_its_link(api, alpha, status_watcher) -> None:
    hook = make_hook(api, alpha, waiting_workflow(60), response_mode="sync", response_timeout_seconds=1)
    body = b'{"order": 6}'

    answered = api.post(hook["url"], content=body, headers=signed_headers(hook["secret"], body))

    assert answered.status_code == 202, answered.text
    accepted = answered.json()
    assert accepted["status"] == "RUNNING" and accepted["replayed"] is False
    assert answered.headers["location"] == f"/v1/executions/{accepted['execution_id']}"


def test_repeated_sync_deliveries_start_one_execution_each_and_answer_its_output(api, alpha) -> None:
    hook = make_hook(
        api, alpha, transform_workflow("{'echo': $states.input.body}", mode="express"), response_mode="sync"
    )
    ids = [f"msg_{n}" for n in range(4)] * 3
    clients = threading.local()

    def post(message_id: str) -> tuple[str, int, Any]:
        if not hasattr(clients, "api"):
            clients.api = TestClient(api.app, raise_server_exceptions=False)
        body = json.dumps({"id": message_id}).encode()
        answer = clients.api.post(
            hook["url"], content=body, headers=signed_headers(hook["secret"], body, message_id=message_id)
        )
        return message_id, answer.status_code, answer.json()

    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(post, ids))

    assert all(status == 200 and output == {"echo": {"id": message_id}} for message_id, status, output in answers)
    assert len(executions(api, alpha)) == 4


def test_an_mcp_call_of_a_standard_workflow_is_woken_by_its_status_change(
    api, alpha, status_watcher, dynamodb_calls: DynamoDbCalls
) -> None:
    workflow_id = create_and_publish(api, alpha.headers[Role.OWNER], waiting_workflow(1))

    outcome = run_workflow_tool(TenantContext(alpha.tenant_id), workflow_id, {"question": 1}, start_error_workflow)

    assert not outcome.is_error and outcome.value == {"question": 1}
    # A poll every 250 ms read the record about four times during the second the workflow waits.
    assert dynamodb_calls.record_reads() == 1
