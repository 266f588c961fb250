"""Status changes reach the record through the execution_events function; failures start the error workflow."""

from __future__ import annotations

import json
from typing import Any

import boto3
from fastapi.testclient import TestClient

from devserver.emulation import LOCAL_ACCOUNT, LOCAL_REGION
from devserver.execution_watcher import status_change_event
from devserver.lambda_runtime import LocalLambdaContext
from functions.execution_events.handler import handler as execution_events
from shared.auth.principal import Role
from shared.executions.record import find_execution
from shared.store.executions import RunningExecutions
from shared.store.tenant_scoped import TenantContext
from tests.helpers import wait_until
from tests.integration.executions.conftest import DynamoDbCalls
from tests.integration.executions.support import (
    create_and_publish,
    failing_workflow,
    transform_workflow,
    waiting_workflow,
)
from tests.integration.tenancy.conftest import TenantWorld


def run_to_end(api: TestClient, world: TenantWorld, workflow_id: str, run_input: Any) -> dict[str, Any]:
    started = api.post(
        f"/v1/workflows/{workflow_id}/executions", headers=world.headers[Role.EDITOR], json={"input": run_input}
    )
    assert started.status_code == 202, started.text
    path = f"/v1/executions/{started.json()['execution_id']}"
    ended: dict[str, Any] = wait_until(
        lambda: api.get(path, headers=world.headers[Role.VIEWER]).json(), lambda record: record["status"] != "RUNNING"
    )
    return ended


def running_count(world: TenantWorld) -> int:
    counter = RunningExecutions(TenantContext(world.tenant_id)).get("COUNT", consistent=True)
    return int(counter.running) if counter else 0


def test_a_success_records_output_stop_time_and_duration_and_frees_the_slot(api, alpha, status_watcher, capsys) -> None:
    greet = create_and_publish(api, alpha.headers[Role.OWNER], transform_workflow("{'hello': $states.input.name}"))

    ended = run_to_end(api, alpha, greet, {"name": "Ada"})

    assert ended["status"] == "SUCCEEDED" and ended["output"] == {"hello": "Ada"}
    assert ended["stopped_at"] is not None and ended["duration_ms"] >= 0 and ended["revision"] >= 1
    assert running_count(alpha) == 0
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    ended_metrics = [m for m in emitted if "ExecutionsEnded" in m and m.get("workflow_id") == greet]
    assert ended_metrics and ended_metrics[0]["tenant_id"] == alpha.tenant_id
    failures = ended_metrics[0]["ExecutionsFailed"]
    assert (failures if isinstance(failures, list) else [failures]) == [0]
    assert "ExecutionDuration" in ended_metrics[0]
    # Per workflow, per tenant and platform-wide: what the executions dashboard and its alarms read.
    (directive,) = ended_metrics[0]["_aws"]["CloudWatchMetrics"]
    assert directive["Dimensions"] == [["tenant_id", "workflow_id"], ["tenant_id"], ["stage"]]
    assert directive["Namespace"] == "NexusForge" and ended_metrics[0]["stage"] == "local"


def test_a_failure_records_error_cause_and_failed_node(api, alpha, status_watcher) -> None:
    failing = create_and_publish(api, alpha.headers[Role.OWNER], failing_workflow())

    ended = run_to_end(api, alpha, failing, {"a": 1})

    assert ended["status"] == "FAILED"
    assert (ended["error"], ended["cause"], ended["failed_node"]) == (
        "Boom",
        "the explode node always fails",
        "explode",
    )
    assert running_count(alpha) == 0


def test_a_failed_workflow_starts_its_error_workflow_with_the_failure_once(api, alpha, status_watcher) -> None:
    owner = alpha.headers[Role.OWNER]
    on_error = create_and_publish(api, owner, transform_workflow("{'alert': $states.input.failed_node}"))
    failing = create_and_publish(api, owner, failing_workflow(error_workflow_id=on_error))

    failed = run_to_end(api, alpha, failing, {})

    def error_runs() -> list[dict[str, Any]]:
        page = api.get("/v1/executions", params={"trigger": "error_workflow"}, headers=alpha.headers[Role.VIEWER])
        return list(page.json()["items"])

    runs = wait_until(error_runs, lambda items: bool(items) and items[0]["status"] == "SUCCEEDED")
    assert len(runs) == 1 and runs[0]["source"] == failed["execution_id"] and runs[0]["workflow_id"] == on_error
    detail = api.get(f"/v1/executions/{runs[0]['execution_id']}", headers=alpha.headers[Role.VIEWER]).json()
    assert detail["input"]["error"] == "Boom" and detail["output"] == {"alert": "explode"}


def test_a_node_function_error_reaches_tenants_as_its_type_and_message_only(api, alpha, status_watcher) -> None:
    call = {"id": "call", "type": "http_request", "params": {"url": "http://169.254.169.254/latest/meta-data/"}}
    start = {"id": "start", "type": "manual"}
    document = {"name": "metadata", "nodes": [start, call], "edges": [{"from": "start", "to": "call"}]}
    workflow = create_and_publish(api, alpha.headers[Role.OWNER], document)

    ended = run_to_end(api, alpha, workflow, {})
    history = api.get(f"/v1/executions/{ended['execution_id']}/history", headers=alpha.headers[Role.VIEWER])

    assert (ended["status"], ended["error"], ended["failed_node"]) == ("FAILED", "HttpRequestBlocked", "call")
    cause = json.loads(ended["cause"])
    assert set(cause) == {"errorType", "errorMessage", "requestId"} and "metadata" in cause["errorMessage"]
    for text in (json.dumps(ended), history.text):
        assert not [mark for mark in ("stackTrace", "Traceback", "/shared/", "/functions/") if mark in text]


def test_a_start_is_recorded_by_one_update_and_a_repeated_start_changes_nothing(
    api, alpha, dynamodb_calls: DynamoDbCalls
) -> None:
    """Given a running standard execution whose status changes no watcher delivers, when its RUNNING event arrives twice
    and then its end, then the start costs one update (its answer is the record: no read first), the repeat is refused
    by that update's condition, and the end reads the record and writes it with the slots given back."""
    workflow = create_and_publish(api, alpha.headers[Role.OWNER], waiting_workflow(1))
    started = api.post(f"/v1/workflows/{workflow}/executions", headers=alpha.headers[Role.EDITOR], json={})
    assert started.status_code == 202, started.text
    tenant = TenantContext(alpha.tenant_id)
    arn = find_execution(tenant, started.json()["execution_id"], consistent=True).execution_arn
    sfn = boto3.client("stepfunctions", region_name=LOCAL_REGION)
    context = LocalLambdaContext("nexus-forge-local-execution-events", "arn:aws:lambda:::function:x", 256, 30)
    running = status_change_event(dict(sfn.describe_execution(executionArn=arn)), LOCAL_ACCOUNT, LOCAL_REGION)

    mark = len(dynamodb_calls.calls)
    first = execution_events(running, context)
    first_calls = dynamodb_calls.since(mark)
    mark = len(dynamodb_calls.calls)
    repeated = execution_events(running, context)
    repeated_calls = dynamodb_calls.since(mark)
    described = wait_until(
        lambda: dict(sfn.describe_execution(executionArn=arn)), lambda found: found["status"] != "RUNNING"
    )
    mark = len(dynamodb_calls.calls)
    ended = execution_events(status_change_event(described, LOCAL_ACCOUNT, LOCAL_REGION), context)
    end_calls = dynamodb_calls.since(mark)

    assert first == {"applied": True, "status": "RUNNING"} and first_calls == ["UpdateItem"]
    assert repeated == {"applied": False} and repeated_calls == ["UpdateItem"]
    assert ended["applied"] and end_calls[:2] == ["GetItem", "TransactWriteItems"]
    record = find_execution(tenant, started.json()["execution_id"], consistent=True)
    assert [transition.status for transition in record.transitions] == ["RUNNING", "SUCCEEDED"]
    assert int(record.revision) == 2 and running_count(alpha) == 0
