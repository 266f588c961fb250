"""Express executions whose end nothing applied end through their CloudWatch Logs: the express machine logs its
execution events to the log group the execution_events function is subscribed to, and the function applies them
as it applies EventBridge's status changes (no status watcher runs here: in the cloud nothing else reports them).

Every express run is run synchronously (shared/executions/runner.py), so its end is applied where it ran and the
machines log only failures (level ERROR); the log is the backstop for a run whose runner died before applying its end,
and for machines published before, which log every event at level ALL until their next publish. Here the runs start
as those did, with StartExecution instead of the runner (`started_without_runner`), so only their log can end them.

The log events are built from the emulated execution's own description, in the shape Step Functions logs them,
and delivered as CloudWatch Logs delivers a subscription batch (gzip, base64, `awslogs.data`)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import boto3
import pytest
from fastapi.testclient import TestClient

from devserver.emulation import LOCAL_REGION
from devserver.express_logs import execution_log_event, subscription_batch
from functions.execution_events.handler import handler
from shared.auth.principal import Role
from shared.aws import stepfunctions
from shared.executions.naming import ExecutionName
from shared.executions.record import find_execution, state_input_of
from shared.store.tenant_scoped import TenantContext
from shared.workflows.state_machines import placement
from tests.helpers import wait_until
from tests.integration.executions.support import (
    create_and_publish,
    execution_events_context,
    failing_workflow,
    transform_workflow,
)
from tests.integration.executions.test_quotas import workflow_running
from tests.integration.executions.test_status_updates import running_count
from tests.integration.tenancy.conftest import TenantWorld


@pytest.fixture(autouse=True)
def started_without_runner(monkeypatch: pytest.MonkeyPatch) -> None:
    """An express start hands its run to StartExecution instead of the runner: nothing applies its end."""
    from shared.executions import runner

    def start_execution(name: ExecutionName, version_arn: str) -> None:
        record = find_execution(TenantContext(name.tenant_id), name.execution_id, consistent=True)
        stepfunctions.start_execution(version_arn, str(name), state_input_of(record))

    monkeypatch.setattr(runner, "hand_to_runner", start_execution)


CONTEXT = execution_events_context()


def start(api: TestClient, world: TenantWorld, workflow_id: str, run_input: Any) -> str:
    started = api.post(
        f"/v1/workflows/{workflow_id}/executions", headers=world.headers[Role.EDITOR], json={"input": run_input}
    )
    assert started.status_code == 202, started.text
    execution_id: str = started.json()["execution_id"]
    return execution_id


def ended_in_emulation(world: TenantWorld, execution_id: str) -> dict[str, Any]:
    """The emulated run's description once it ended; its record is still RUNNING (nothing reported the end)."""
    arn = find_execution(TenantContext(world.tenant_id), execution_id, consistent=True).execution_arn
    sfn = boto3.client("stepfunctions", region_name=LOCAL_REGION)
    described: dict[str, Any] = wait_until(
        lambda: dict(sfn.describe_execution(executionArn=arn)), lambda found: found["status"] != "RUNNING"
    )
    return described


# What machines published before the runner log: every event, with execution data.
LOGGED_AT_ALL = {"level": "ALL", "includeExecutionData": True}


def log_events(described: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Step Functions' log events (level ALL, with execution data) for the run, by type, as the emulation builds them
    (devserver/express_logs.py)."""
    started = execution_log_event({**described, "status": "RUNNING"}, LOGGED_AT_ALL, 1)
    ended = execution_log_event(described, LOGGED_AT_ALL, 3)
    assert started is not None and ended is not None
    # A state's event: the subscription filter passes only execution events, but one that got through is ignored.
    state = {**started, "id": "2", "type": "PassStateEntered", "details": {"name": "shape", "input": "{}"}}
    return {"ExecutionStarted": [started], "PassStateEntered": [state], str(ended["type"]): [ended]}


def delivery(*events: dict[str, Any]) -> dict[str, Any]:
    """A CloudWatch Logs subscription batch of these log events, as the execution_events function receives it."""
    return subscription_batch(placement().prefix, "123456789012", *events)


def read(api: TestClient, world: TenantWorld, execution_id: str) -> dict[str, Any]:
    record: dict[str, Any] = api.get(f"/v1/executions/{execution_id}", headers=world.headers[Role.VIEWER]).json()
    return record


def test_an_express_machine_logs_its_failures_to_the_subscribed_log_group(api, alpha) -> None:
    express = create_and_publish(api, alpha.headers[Role.OWNER], transform_workflow("$states.input", mode="express"))
    machine = boto3.client("stepfunctions", region_name=LOCAL_REGION).describe_state_machine(
        stateMachineArn=placement().state_machine_arn(express)
    )

    logging = machine["loggingConfiguration"]
    assert machine["type"] == "EXPRESS" and logging["level"] == "ERROR" and logging["includeExecutionData"] is True
    (destination,) = logging["destinations"]
    assert destination["cloudWatchLogsLogGroup"]["logGroupArn"] == placement().express_log_group_arn
    assert placement().express_log_group_arn.endswith(
        f":log-group:/aws/vendedlogs/states/{placement().prefix}-wf-express:*"
    )


def test_a_standard_machine_logs_nothing(api, alpha) -> None:
    standard = create_and_publish(api, alpha.headers[Role.OWNER], transform_workflow("$states.input"))
    machine = boto3.client("stepfunctions", region_name=LOCAL_REGION).describe_state_machine(
        stateMachineArn=placement().state_machine_arn(standard)
    )

    assert machine["type"] == "STANDARD" and machine["loggingConfiguration"]["level"] == "OFF"


def test_an_asynchronous_express_success_ends_its_record_from_the_logs_once(api, alpha, capsys) -> None:
    express = create_and_publish(
        api,
        alpha.headers[Role.OWNER],
        transform_workflow("{'hello': $states.input.name}", mode="express", max_concurrency=1),
    )
    execution_id = start(api, alpha, express, {"name": "Ada"})
    described = ended_in_emulation(alpha, execution_id)
    assert read(api, alpha, execution_id)["status"] == "RUNNING"
    assert running_count(alpha) == 1 and workflow_running(alpha, express) == 1
    events = log_events(described)

    # The start alone (a batch that ended before the execution did), then a batch with the state and the end.
    started = handler(delivery(*events["ExecutionStarted"]), CONTEXT)
    ended = handler(delivery(*events["PassStateEntered"], *events["ExecutionSucceeded"]), CONTEXT)

    assert started == {"applied": [f"{execution_id}:RUNNING"], "changes": 1}
    assert ended == {"applied": [f"{execution_id}:SUCCEEDED"], "changes": 1}
    record = read(api, alpha, execution_id)
    assert record["status"] == "SUCCEEDED" and record["output"] == {"hello": "Ada"}
    assert record["stopped_at"] is not None and record["duration_ms"] >= 0 and record["revision"] == 2
    assert running_count(alpha) == 0 and workflow_running(alpha, express) == 0
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    (ended_metrics,) = [document for document in emitted if "ExecutionsEnded" in document]
    assert ended_metrics["workflow_id"] == express and ended_metrics["tenant_id"] == alpha.tenant_id

    # Redelivered (CloudWatch Logs delivers at least once), and a start delivered after the end: nothing changes,
    # and the slots are not given back twice.
    again = handler(delivery(*events["ExecutionStarted"], *events["ExecutionSucceeded"]), CONTEXT)
    late_start = handler(delivery(*events["ExecutionStarted"]), CONTEXT)

    assert again == {"applied": [], "changes": 2} and late_start == {"applied": [], "changes": 1}
    assert read(api, alpha, execution_id) == record
    assert running_count(alpha) == 0 and workflow_running(alpha, express) == 0


def test_an_asynchronous_express_failure_records_the_error_from_the_logs(api, alpha) -> None:
    express = create_and_publish(api, alpha.headers[Role.OWNER], failing_workflow(mode="express"))
    execution_id = start(api, alpha, express, {})
    described = ended_in_emulation(alpha, execution_id)
    events = log_events(described)

    # One batch with the start and the end: the duration is measured from the logged start.
    result = handler(delivery(*events["ExecutionStarted"], *events["ExecutionFailed"]), CONTEXT)

    assert result == {"applied": [f"{execution_id}:RUNNING", f"{execution_id}:FAILED"], "changes": 2}
    record = read(api, alpha, execution_id)
    assert (record["status"], record["error"], record["cause"]) == ("FAILED", "Boom", "the explode node always fails")
    expected_ms = int(events["ExecutionFailed"][0]["event_timestamp"]) - int(
        events["ExecutionStarted"][0]["event_timestamp"]
    )
    assert record["output"] is None and record["duration_ms"] == expected_ms
    assert running_count(alpha) == 0


def test_a_repeated_start_is_applied_once(api, alpha) -> None:
    express = create_and_publish(api, alpha.headers[Role.OWNER], transform_workflow("$states.input", mode="express"))
    execution_id = start(api, alpha, express, {"a": 1})
    described = ended_in_emulation(alpha, execution_id)
    events = log_events(described)

    first = handler(delivery(*events["ExecutionStarted"]), CONTEXT)
    second = handler(delivery(*events["ExecutionStarted"]), CONTEXT)

    assert first["applied"] == [f"{execution_id}:RUNNING"] and second["applied"] == []
    record = find_execution(TenantContext(alpha.tenant_id), execution_id, consistent=True)
    assert record.revision == 1 and [t.status for t in record.transitions] == ["RUNNING"]
    assert running_count(alpha) == 1


def test_log_events_of_executions_the_platform_did_not_start_change_nothing(api, alpha) -> None:
    foreign = {
        "id": "3",
        "type": "ExecutionSucceeded",
        "details": {"output": "{}", "outputDetails": {"truncated": False}},
        "event_timestamp": "1795000000000",
        "execution_arn": f"arn:aws:states:{LOCAL_REGION}:123456789012:express:other:not-ours:{uuid.uuid4()}",
    }

    result = handler(delivery(foreign), CONTEXT)

    assert result == {"applied": [], "changes": 0}


def test_an_express_failure_nothing_applied_ends_from_the_log_the_emulation_delivers(
    api, alpha, status_watcher
) -> None:
    failing = create_and_publish(api, alpha.headers[Role.OWNER], failing_workflow(mode="express"))

    execution_id = start(api, alpha, failing, {})

    # The machine logs at level ERROR: its failure reaches execution_events as a subscription batch.
    record = wait_until(lambda: read(api, alpha, execution_id), lambda found: found["status"] != "RUNNING")
    assert (record["status"], record["error"], record["cause"]) == ("FAILED", "Boom", "the explode node always fails")
    assert running_count(alpha) == 0
