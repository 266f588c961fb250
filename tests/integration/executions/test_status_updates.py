"""Status changes reach the record through the execution_events function; failures start the error workflow."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from fastapi.testclient import TestClient

from devserver.emulation import LOCAL_ACCOUNT, LOCAL_REGION
from devserver.execution_watcher import status_change_event
from functions.execution_events.handler import handler as execution_events
from shared.auth.principal import Role
from shared.aws import stepfunctions
from shared.executions.record import find_execution
from shared.store.executions import RunningExecutions
from shared.store.tenant_scoped import TenantContext
from tests.helpers import wait_until
from tests.integration.executions.conftest import DynamoDbCalls
from tests.integration.executions.support import (
    create_and_publish,
    execution_events_context,
    failing_workflow,
    transform_workflow,
    waiting_workflow,
)
from tests.integration.executions.test_quotas import workflow_running
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


def test_a_standard_start_is_recorded_by_its_starter_and_a_late_running_event_changes_nothing(
    api, alpha, dynamodb_calls: DynamoDbCalls, capsys
) -> None:
    """Given a standard workflow and no watcher delivering status changes, when it is started, then its record holds
    the RUNNING transition at the start and revision 1 and the started metric is written once, by the starter; a
    RUNNING event that still arrives (a rule deployed before, a redelivery) is refused by one update's condition and
    changes nothing; the end writes the record with the slots given back in one transaction, reading nothing."""
    workflow = create_and_publish(api, alpha.headers[Role.OWNER], waiting_workflow(1))
    started = api.post(f"/v1/workflows/{workflow}/executions", headers=alpha.headers[Role.EDITOR], json={})
    assert started.status_code == 202, started.text
    tenant = TenantContext(alpha.tenant_id)
    execution_id = started.json()["execution_id"]

    recorded = find_execution(tenant, execution_id, consistent=True)

    assert (recorded.status, int(recorded.revision)) == ("RUNNING", 1)
    assert [(t.status, t.at) for t in recorded.transitions] == [("RUNNING", recorded.started_at)]
    assert started.json()["revision"] == 1
    (started_metric,) = [m for m in emitted_metrics(capsys) if "ExecutionsStarted" in m]
    assert (started_metric["workflow_id"], started_metric["tenant_id"]) == (workflow, alpha.tenant_id)
    (directive,) = started_metric["_aws"]["CloudWatchMetrics"]
    assert directive["Dimensions"] == [["tenant_id", "workflow_id"], ["tenant_id"], ["stage"]]
    assert directive["Namespace"] == "NexusForge" and started_metric["ExecutionsStarted"] in (1, [1])
    sfn = boto3.client("stepfunctions", region_name=LOCAL_REGION)
    context = execution_events_context()
    running = status_change_event(
        dict(sfn.describe_execution(executionArn=recorded.execution_arn)), LOCAL_ACCOUNT, LOCAL_REGION
    )
    mark = len(dynamodb_calls.calls)
    late = execution_events(running, context)
    late_calls = dynamodb_calls.since(mark)
    described = wait_until(
        lambda: dict(sfn.describe_execution(executionArn=recorded.execution_arn)),
        lambda found: found["status"] != "RUNNING",
    )
    mark = len(dynamodb_calls.calls)
    ended = execution_events(status_change_event(described, LOCAL_ACCOUNT, LOCAL_REGION), context)
    end_calls = dynamodb_calls.since(mark)

    assert late == {"applied": False} and late_calls == ["UpdateItem"]
    assert ended["applied"] and end_calls == ["TransactWriteItems"]
    record = find_execution(tenant, execution_id, consistent=True)
    assert [transition.status for transition in record.transitions] == ["RUNNING", "SUCCEEDED"]
    assert int(record.revision) == 2 and running_count(alpha) == 0
    # Started once (by the starter), ended once (by the end's event).
    later = emitted_metrics(capsys)
    assert [m["workflow_id"] for m in later if "ExecutionsStarted" in m] == []
    assert [m["workflow_id"] for m in later if "ExecutionsEnded" in m] == [workflow]


def test_each_standard_execution_costs_the_status_path_one_delivery_its_end(
    api, alpha, emulated_aws, status_watcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Given the local stand-in for EventBridge, when standard executions run to their ends (successes and a
    failure), then execution_events is invoked once per execution, with its end, and each record holds both
    transitions."""
    delivered: dict[str, list[str]] = defaultdict(list)
    invoke = emulated_aws.invoke

    def counting(function_name: str, payload: bytes, invocation_type: str = "RequestResponse") -> dict[str, Any]:
        if function_name == status_watcher.function_name:
            detail = json.loads(payload)["detail"]
            delivered[detail["name"].split("_", 1)[1]].append(detail["status"])
        answer: dict[str, Any] = invoke(function_name, payload, invocation_type)
        return answer

    monkeypatch.setattr(emulated_aws, "invoke", counting)
    owner = alpha.headers[Role.OWNER]
    greet = create_and_publish(api, owner, transform_workflow("{'hello': $states.input.name}"))
    failing = create_and_publish(api, owner, failing_workflow())

    ended = [run_to_end(api, alpha, greet, {"name": name}) for name in ("Ada", "Grace", "Edsger")]
    ended.append(run_to_end(api, alpha, failing, {}))

    assert {execution["execution_id"]: delivered[execution["execution_id"]] for execution in ended} == {
        execution["execution_id"]: [execution["status"]] for execution in ended
    }
    assert [execution["status"] for execution in ended] == ["SUCCEEDED", "SUCCEEDED", "SUCCEEDED", "FAILED"]
    tenant = TenantContext(alpha.tenant_id)
    for execution in ended:
        record = find_execution(tenant, execution["execution_id"], consistent=True)
        assert [transition.status for transition in record.transitions] == ["RUNNING", execution["status"]]


def test_a_standard_start_step_functions_refuses_ends_failed_with_its_slots_back_and_no_started_metric(
    api, alpha, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """Given Step Functions refusing StartExecution, when a standard workflow is started, then the caller gets a 503
    naming the refusal, the record ends FAILED (States.StartFailed) with its running slots back, and no started metric
    is written."""
    workflow = create_and_publish(
        api, alpha.headers[Role.OWNER], transform_workflow("$states.input", max_concurrency=1)
    )

    def refused(state_machine_arn: str, name: str, state_input: str) -> dict[str, Any]:
        error = {"Error": {"Code": "ExecutionLimitExceeded", "Message": "Too many executions."}}
        raise ClientError(error, "StartExecution")  # type: ignore[arg-type]

    monkeypatch.setattr(stepfunctions, "start_execution", refused)

    answered = api.post(f"/v1/workflows/{workflow}/executions", headers=alpha.headers[Role.EDITOR], json={})

    assert answered.status_code == 503, answered.text
    assert "Step Functions refused to start the execution: Too many executions." in answered.json()["detail"]
    (failed,) = api.get("/v1/executions", headers=alpha.headers[Role.VIEWER]).json()["items"]
    assert (failed["status"], failed["error"]) == ("FAILED", "States.StartFailed")
    assert running_count(alpha) == 0 and workflow_running(alpha, workflow) == 0
    assert [m for m in emitted_metrics(capsys) if "ExecutionsStarted" in m] == []


def emitted_metrics(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    """The EMF documents written since the last read."""
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
