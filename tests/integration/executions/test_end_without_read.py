"""A standard run's end applied by execution_events in one transaction, without reading the record first: the record's
condition (still open, this run, the event's workflow, the workflow slot expected, nothing more to follow) decides,
and a refused condition's returned record (ALL_OLD) decides the other cases: already ended, stopped, redriven, no
record, a workflow slot, an error workflow."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from fastapi.testclient import TestClient

from devserver.emulation import LOCAL_ACCOUNT, LOCAL_REGION
from devserver.execution_watcher import status_change_event
from functions.execution_events.handler import handler as execution_events
from shared.auth.principal import Role
from shared.executions import record as record_module
from shared.executions.record import apply_status_change, ended_as_applied, find_execution
from shared.executions.running_slots import take_running_slot
from shared.store.executions import ExecutionItem, Executions
from shared.store.tenant_scoped import TenantContext
from tests.helpers import wait_until
from tests.integration.executions.conftest import DynamoDbCalls
from tests.integration.executions.support import (
    create_and_publish,
    execution_events_context,
    failing_workflow,
    transform_workflow,
)
from tests.integration.executions.test_quotas import workflow_running
from tests.integration.executions.test_status_updates import running_count
from tests.integration.tenancy.conftest import TenantWorld

CONTEXT = execution_events_context()


def run_without_watcher(api: TestClient, world: TenantWorld, workflow_id: str) -> tuple[ExecutionItem, dict[str, Any]]:
    """Starts the workflow (no watcher delivers its status changes) and waits for Step Functions to end it: the record
    as its start wrote it, and the EventBridge event of its end."""
    started = api.post(f"/v1/workflows/{workflow_id}/executions", headers=world.headers[Role.EDITOR], json={})
    assert started.status_code == 202, started.text
    record = find_execution(TenantContext(world.tenant_id), started.json()["execution_id"], consistent=True)
    sfn = boto3.client("stepfunctions", region_name=LOCAL_REGION)
    described = wait_until(
        lambda: dict(sfn.describe_execution(executionArn=record.execution_arn)),
        lambda found: found["status"] != "RUNNING",
    )
    return record, status_change_event(described, LOCAL_ACCOUNT, LOCAL_REGION)


def delivered(dynamodb_calls: DynamoDbCalls, event: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """execution_events' answer to the event, and the DynamoDB calls it made."""
    mark = len(dynamodb_calls.calls)
    answer = execution_events(event, CONTEXT)
    return answer, dynamodb_calls.since(mark)


def with_detail(event: dict[str, Any], **detail: Any) -> dict[str, Any]:
    return {**event, "detail": {**event["detail"], **detail}}


def stored(world: TenantWorld, execution_id: str) -> ExecutionItem:
    return find_execution(TenantContext(world.tenant_id), execution_id, consistent=True)


def test_an_end_is_one_transaction_and_a_repeated_one_is_refused_by_it_with_nothing_written(
    api, alpha, dynamodb_calls: DynamoDbCalls
) -> None:
    """Given a standard run that ended, when its end event arrives, then the record ends and its slot comes back in
    one transaction and nothing is read; when the same event arrives again, one refused transaction writes nothing:
    the record, its revision and the running counter are as the first end left them."""
    workflow = create_and_publish(api, alpha.headers[Role.OWNER], transform_workflow("{'hello': $states.input}"))
    record, event = run_without_watcher(api, alpha, workflow)

    first, first_calls = delivered(dynamodb_calls, event)
    again, again_calls = delivered(dynamodb_calls, event)

    assert first == {"applied": True, "status": "SUCCEEDED"} and first_calls == ["TransactWriteItems"]
    assert again == {"applied": False} and again_calls == ["TransactWriteItems"]
    ended = stored(alpha, record.execution_id)
    assert (ended.status, int(ended.revision), ended.output) == ("SUCCEEDED", 2, {"hello": {}})
    assert [transition.status for transition in ended.transitions] == ["RUNNING", "SUCCEEDED"]
    assert ended.running_shard is None and ended.stopped_at is not None and ended.duration_ms is not None
    assert running_count(alpha) == 0


def test_an_end_after_the_execution_was_stopped_changes_nothing(api, alpha, dynamodb_calls: DynamoDbCalls) -> None:
    """Given a run whose ABORTED end was applied (it was stopped), when a late end of another status arrives, then one
    refused transaction writes nothing: the record stays ABORTED with its one slot given back once."""
    workflow = create_and_publish(api, alpha.headers[Role.OWNER], transform_workflow("$states.input"))
    record, event = run_without_watcher(api, alpha, workflow)
    stopped, _ = delivered(dynamodb_calls, with_detail(event, status="ABORTED", output=None))

    late, late_calls = delivered(dynamodb_calls, event)

    assert stopped == {"applied": True, "status": "ABORTED"}
    assert late == {"applied": False} and late_calls == ["TransactWriteItems"]
    ended = stored(alpha, record.execution_id)
    assert (ended.status, int(ended.revision), ended.output) == ("ABORTED", 2, None)
    assert running_count(alpha) == 0


def test_an_end_of_a_record_that_does_not_exist_writes_nothing(api, alpha, dynamodb_calls: DynamoDbCalls) -> None:
    """Given an end event named like the platform's executions whose record does not exist (deleted, or another
    stage's), then one refused transaction writes nothing: no record appears and no slot is given back."""
    workflow = create_and_publish(api, alpha.headers[Role.OWNER], transform_workflow("$states.input"))
    _, event = run_without_watcher(api, alpha, workflow)
    delivered(dynamodb_calls, event)
    take_running_slot(TenantContext(alpha.tenant_id))  # another execution holds a slot
    unknown = "0" * 23
    name = f"{alpha.tenant_id}_{unknown}"
    arn = event["detail"]["executionArn"].rsplit(":", 1)[0] + f":{name}"

    answer, calls = delivered(dynamodb_calls, with_detail(event, name=name, executionArn=arn))

    assert answer == {"applied": False} and calls == ["TransactWriteItems"]
    assert Executions(TenantContext(alpha.tenant_id)).get(unknown, consistent=True) is None
    assert running_count(alpha) == 1


def test_a_redriven_run_refuses_its_earlier_runs_end_and_takes_its_own_in_one_transaction(
    api, alpha, dynamodb_calls: DynamoDbCalls
) -> None:
    """Given a run that failed and was redriven (its redrive's RUNNING applied, its slot taken again), when the first
    run's failure arrives again, then one refused transaction writes nothing; when the redrive's end arrives, it is
    applied in one transaction and gives the slot back once."""
    workflow = create_and_publish(api, alpha.headers[Role.OWNER], failing_workflow())
    record, failed = run_without_watcher(api, alpha, workflow)
    assert delivered(dynamodb_calls, failed)[0] == {"applied": True, "status": "FAILED"}
    tenant = TenantContext(alpha.tenant_id)
    take_running_slot(tenant)  # as control.redrive_execution does
    redrive = {"redriveCount": 1, "startDate": failed["detail"]["stopDate"]}
    assert delivered(dynamodb_calls, with_detail(failed, status="RUNNING", stopDate=None, **redrive))[0]["applied"]

    stale, stale_calls = delivered(dynamodb_calls, failed)
    redriven_end = with_detail(failed, status="SUCCEEDED", output='{"again": true}', error=None, cause=None, **redrive)
    ended, ended_calls = delivered(dynamodb_calls, redriven_end)

    assert stale == {"applied": False} and stale_calls == ["TransactWriteItems"]
    assert ended == {"applied": True, "status": "SUCCEEDED"} and ended_calls == ["TransactWriteItems"]
    final = stored(alpha, record.execution_id)
    assert (final.status, int(final.redrive_count), final.output) == ("SUCCEEDED", 1, {"again": True})
    assert final.error is None
    assert [transition.status for transition in final.transitions] == ["RUNNING", "FAILED", "RUNNING", "SUCCEEDED"]
    assert running_count(alpha) == 0


def test_a_workflow_slot_is_given_back_once_the_first_end_learns_it_from_the_refused_condition(
    api, alpha, dynamodb_calls: DynamoDbCalls
) -> None:
    """Given a workflow with max_concurrency (its executions take a workflow slot), when the first end this process
    sees of it arrives, then the refused condition returns the record, which says so, and the end is written with
    both slots back (two transactions, no read); the next execution's end expects the slot: one transaction."""
    workflow = create_and_publish(
        api, alpha.headers[Role.OWNER], transform_workflow("$states.input", max_concurrency=2)
    )
    first, first_event = run_without_watcher(api, alpha, workflow)
    second, second_event = run_without_watcher(api, alpha, workflow)
    assert workflow_running(alpha, workflow) == 2

    first_answer, first_calls = delivered(dynamodb_calls, first_event)
    second_answer, second_calls = delivered(dynamodb_calls, second_event)

    assert first_answer["applied"] and first_calls == ["TransactWriteItems", "TransactWriteItems"]
    assert second_answer["applied"] and second_calls == ["TransactWriteItems"]
    assert workflow_running(alpha, workflow) == 0 and running_count(alpha) == 0
    assert stored(alpha, first.execution_id).status == stored(alpha, second.execution_id).status == "SUCCEEDED"


def test_a_failure_with_an_error_workflow_is_written_from_the_refused_conditions_record_and_starts_it_once(
    api, alpha, dynamodb_calls: DynamoDbCalls
) -> None:
    """Given a failing workflow that names an error workflow, when its failure arrives (twice), then the first
    transaction, which expects no error workflow, is refused with the record, the end is written from that record and
    the error workflow starts with the failure; the repeated failure starts nothing more."""
    owner = alpha.headers[Role.OWNER]
    on_error = create_and_publish(api, owner, transform_workflow("$states.input"))
    failing = create_and_publish(api, owner, failing_workflow(error_workflow_id=on_error))
    record, event = run_without_watcher(api, alpha, failing)

    answer, calls = delivered(dynamodb_calls, event)
    again, again_calls = delivered(dynamodb_calls, event)

    assert answer == {"applied": True, "status": "FAILED"}
    assert calls[:2] == ["TransactWriteItems", "TransactWriteItems"] and "GetItem" not in calls[:2]
    assert again == {"applied": False} and again_calls == ["TransactWriteItems"]
    page = api.get("/v1/executions", params={"trigger": "error_workflow"}, headers=alpha.headers[Role.VIEWER])
    (error_run,) = page.json()["items"]
    assert error_run["source"] == record.execution_id and error_run["workflow_id"] == on_error


def test_a_waiter_applies_an_end_written_without_a_read_to_the_record_it_holds(api, alpha) -> None:
    """The end board and the waiters in the process receive only the end: the waiter's record (as its start wrote it)
    with that end is the record the table holds."""
    workflow = create_and_publish(api, alpha.headers[Role.OWNER], transform_workflow("{'hello': $states.input}"))
    record, event = run_without_watcher(api, alpha, workflow)

    change = apply_status_change(event["detail"], whole_record=False)

    assert change is not None and not change.whole and int(change.record.revision) == 0
    seen = ended_as_applied(record, change.record)
    table = stored(alpha, record.execution_id)
    assert seen.serialize() == table.serialize()
    # A whole ended record is taken as it is.
    assert ended_as_applied(record, table) is table


@pytest.fixture(autouse=True)
def _no_leftover_slot_guesses() -> None:
    """Each test starts with a process that has seen no end (the guess of a workflow's slot is per process)."""
    record_module._WORKFLOW_SLOTS.clear()
