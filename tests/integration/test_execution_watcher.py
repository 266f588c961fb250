"""The local stand-in for EventBridge's status-change events: the changes of workflow executions that the workflow
status rule's pattern matches (the ends, PENDING_REDRIVE, a redrive's RUNNING; not a first run's RUNNING, which its
starter recorded), in order per execution, exactly once, from a pool of workers."""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import TYPE_CHECKING, Any, cast

import boto3
import pytest

from devserver.emulation import LOCAL_ACCOUNT, LOCAL_PREFIX, LOCAL_REGION, LOCAL_ROLE_ARN
from devserver.execution_watcher import ExecutionStatusWatcher, status_change_event
from devserver.lambda_runtime import LocalLambdaRuntime
from shared.aws.cloudwatch_logs import log_messages
from shared.resources import WORKFLOW_STATE_MACHINES
from tests.helpers import wait_until

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions.type_defs import LoggingConfigurationTypeDef

WORKFLOW_MACHINE = f"{WORKFLOW_STATE_MACHINES.physical_name(LOCAL_PREFIX)}-watched"
OTHER_MACHINE = f"{LOCAL_PREFIX}-not-a-workflow"
PASS = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}})


class RecordingRuntime(LocalLambdaRuntime):
    """Records the events the watcher invokes the status function with, in the order each arrives."""

    def __init__(self) -> None:
        super().__init__(LOCAL_PREFIX, LOCAL_REGION, LOCAL_ACCOUNT)
        self.events: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.threads: set[str] = set()
        self._lock = threading.Lock()

    def invoke(self, function_name: str, payload: bytes, invocation_type: str = "RequestResponse") -> dict[str, Any]:
        detail = json.loads(payload)["detail"]
        with self._lock:
            self.events[detail["executionArn"]].append(detail)
            self.threads.add(threading.current_thread().name)
        return {"StatusCode": 200}


@pytest.fixture
def recorded(emulated_aws: LocalLambdaRuntime) -> Iterator[RecordingRuntime]:
    runtime = RecordingRuntime()
    watcher = ExecutionStatusWatcher(runtime, LOCAL_PREFIX, workers=4)
    watcher.start()
    yield runtime
    watcher.stop()


def _machine(name: str) -> str:
    sfn = boto3.client("stepfunctions", region_name=LOCAL_REGION)
    arn: str = sfn.create_state_machine(name=name, definition=PASS, roleArn=LOCAL_ROLE_ARN)["stateMachineArn"]
    return arn


def test_each_workflow_execution_delivers_its_end_once_and_not_its_first_start(recorded: RecordingRuntime) -> None:
    """Given standard executions of a workflow machine and of another machine, when they run to their ends, then the
    status function is invoked once per workflow execution, with its end: the first run's RUNNING is not delivered."""
    sfn = boto3.client("stepfunctions", region_name=LOCAL_REGION)
    workflow, other = _machine(WORKFLOW_MACHINE), _machine(OTHER_MACHINE)
    started = [
        sfn.start_execution(stateMachineArn=workflow, name=f"run-{index}", input="{}")["executionArn"]
        for index in range(24)
    ]
    ignored = sfn.start_execution(stateMachineArn=other, name="ignored", input="{}")["executionArn"]

    wait_until(lambda: sum(len(recorded.events[arn]) for arn in started), lambda count: count >= len(started))

    for arn in started:  # an execution's events are delivered in order: a RUNNING would have come first
        assert [event["status"] for event in recorded.events[arn]] == ["SUCCEEDED"]
        assert recorded.events[arn][0]["output"] == "{}" and recorded.events[arn][0]["stopDate"] is not None
    assert ignored not in recorded.events
    assert len(recorded.threads) > 1  # delivered by the pool, not one thread


@dataclass
class FakeExecution:
    """What the watcher reads of one of moto's executions."""

    exec_arn: str
    exec_status: Enum
    redrive_count: int = 0

    def to_describe_output(self) -> dict[str, Any]:
        return {
            "executionArn": self.exec_arn,
            "stateMachineArn": self.exec_arn.rsplit(":", 1)[0].replace(":execution:", ":stateMachine:"),
            "name": self.exec_arn.rsplit(":", 1)[1],
            "status": self.exec_status,
            "startDate": datetime(2026, 1, 1, tzinfo=UTC),
            "stopDate": None if self.exec_status.value == "RUNNING" else datetime(2026, 1, 1, 0, 1, tzinfo=UTC),
        }


Status = Enum("Status", {"RUNNING": "RUNNING", "FAILED": "FAILED"})


def test_an_end_seen_late_delivers_the_end_alone_and_a_redrive_its_running_first() -> None:
    """Given an execution that ended before the watcher looked, then was redriven twice, then its end is delivered
    alone (its first RUNNING is queued, as Step Functions sends it, and the rule does not match it) and each redrive's
    RUNNING before that run's end."""
    runtime = RecordingRuntime()
    watcher = ExecutionStatusWatcher(runtime, LOCAL_PREFIX, workers=2)
    arn = f"arn:aws:states:{LOCAL_REGION}:{LOCAL_ACCOUNT}:execution:{WORKFLOW_MACHINE}:late"
    execution = FakeExecution(arn, Status.FAILED)

    assert watcher._look_at(execution) == 2  # ended before the watcher looked: RUNNING, then FAILED
    assert watcher._look_at(execution) == 0  # nothing new
    execution.redrive_count = 1  # redriven and failed again between two looks
    assert watcher._look_at(execution) == 2
    execution.redrive_count, execution.exec_status = 2, Status.RUNNING
    assert watcher._look_at(execution) == 1

    watcher.start()
    watcher.stop()  # delivers what was queued before stopping
    assert [(event["status"], event["redriveCount"]) for event in runtime.events[arn]] == [
        ("FAILED", 0),
        ("RUNNING", 1),
        ("FAILED", 1),
        ("RUNNING", 2),
    ]


def _status_event(status: str, redrives: int | None, machine: str = WORKFLOW_MACHINE) -> dict[str, Any]:
    arn = f"arn:aws:states:{LOCAL_REGION}:{LOCAL_ACCOUNT}:execution:{machine}:run"
    described: dict[str, Any] = FakeExecution(arn, Status.RUNNING).to_describe_output() | {"status": status}
    event = status_change_event(described, LOCAL_ACCOUNT, LOCAL_REGION)
    if redrives is None:
        del event["detail"]["redriveCount"]
    else:
        event["detail"]["redriveCount"] = redrives
    return event


@pytest.mark.parametrize(
    ("status", "redrives", "machine", "delivered"),
    [
        ("SUCCEEDED", 0, WORKFLOW_MACHINE, True),
        ("FAILED", 0, WORKFLOW_MACHINE, True),
        ("TIMED_OUT", 0, WORKFLOW_MACHINE, True),
        ("ABORTED", 2, WORKFLOW_MACHINE, True),
        ("PENDING_REDRIVE", 0, WORKFLOW_MACHINE, True),
        ("RUNNING", 1, WORKFLOW_MACHINE, True),
        ("RUNNING", 0, WORKFLOW_MACHINE, False),
        ("RUNNING", None, WORKFLOW_MACHINE, False),
        ("SUCCEEDED", 0, f"{LOCAL_PREFIX}-wfx", False),
    ],
)
def test_the_watcher_evaluates_the_workflow_status_rules_pattern_as_eventbridge_does(
    status: str, redrives: int | None, machine: str, delivered: bool
) -> None:
    """Given a status change event, then the watcher's rule (the `$or` of the ends and PENDING_REDRIVE with a
    redrive's RUNNING, `redriveCount` matched numerically, on the workflow machines' ARN prefix) matches it exactly
    when the cloud's rule would deliver it."""
    watcher = ExecutionStatusWatcher(RecordingRuntime(), LOCAL_PREFIX)
    event = _status_event(status, redrives, machine)

    assert watcher.rule_matches(event) is delivered
    # The watcher's matcher leaves out moto's copy of the event through JSON: the event is JSON already, and moto's
    # own matcher decides the same.
    assert json.loads(json.dumps(event)) == event
    assert watcher.status_rule.matches_event(cast(Any, event)) is delivered


def test_the_sweep_looks_again_only_at_the_executions_last_seen_running(monkeypatch: pytest.MonkeyPatch) -> None:
    runtime = RecordingRuntime()
    watcher = ExecutionStatusWatcher(runtime, LOCAL_PREFIX, workers=2)
    prefix = f"arn:aws:states:{LOCAL_REGION}:{LOCAL_ACCOUNT}:execution:{WORKFLOW_MACHINE}"
    running = FakeExecution(f"{prefix}:running", Status.RUNNING)
    everything = [*(FakeExecution(f"{prefix}:ended-{index}", Status.FAILED) for index in range(50)), running]
    walks: list[int] = []

    def every_execution() -> list[Any]:
        walks.append(len(everything))
        return everything

    monkeypatch.setattr(watcher, "_executions", every_execution)

    assert watcher.poll_once() == 101  # each ended one's RUNNING and FAILED, and the running one's RUNNING
    running.exec_status = Status.FAILED  # stopped: no hook reports it
    assert watcher.poll_once() == 1
    assert watcher.poll_once() == 0
    assert walks == [51]


class HeldRuntime(RecordingRuntime):
    """Holds every delivery of one execution until released, as a status path stuck in a busy worker would."""

    def __init__(self, held: str) -> None:
        super().__init__()
        self.held, self.release = held, threading.Event()

    def invoke(self, function_name: str, payload: bytes, invocation_type: str = "RequestResponse") -> dict[str, Any]:
        if json.loads(payload)["detail"]["executionArn"] == self.held:
            self.release.wait(timeout=15)
        return super().invoke(function_name, payload, invocation_type)


def test_an_execution_whose_delivery_is_slow_holds_up_no_other_executions_events() -> None:
    prefix = f"arn:aws:states:{LOCAL_REGION}:{LOCAL_ACCOUNT}:execution:{WORKFLOW_MACHINE}"
    runtime = HeldRuntime(f"{prefix}:slow")
    watcher = ExecutionStatusWatcher(runtime, LOCAL_PREFIX, workers=2)
    others = [f"{prefix}:other-{index}" for index in range(12)]
    watcher.start()
    try:
        watcher._look_at(FakeExecution(runtime.held, Status.FAILED))
        for arn in others:
            watcher._look_at(FakeExecution(arn, Status.FAILED))

        # The other worker delivers every other execution's end while the slow one's is still held.
        wait_until(lambda: [runtime.events[arn] for arn in others], lambda events: all(len(e) == 1 for e in events))
        assert all([event["status"] for event in runtime.events[arn]] == ["FAILED"] for arn in others)
        assert runtime.events[runtime.held] == []
        # A redrive's start follows the end it was queued after, never before.
        watcher._look_at(FakeExecution(runtime.held, Status.RUNNING, redrive_count=1))
    finally:
        runtime.release.set()
        wait_until(lambda: len(runtime.events[runtime.held]), lambda count: count == 2)
        watcher.stop()
    assert [(event["status"], event["redriveCount"]) for event in runtime.events[runtime.held]] == [
        ("FAILED", 0),
        ("RUNNING", 1),
    ]


class LoggedRuntime(LocalLambdaRuntime):
    """Records the events the watcher invokes the status function with, whole."""

    def __init__(self) -> None:
        super().__init__(LOCAL_PREFIX, LOCAL_REGION, LOCAL_ACCOUNT)
        self.events: list[dict[str, Any]] = []

    def invoke(self, function_name: str, payload: bytes, invocation_type: str = "RequestResponse") -> dict[str, Any]:
        self.events.append(json.loads(payload))
        return {"StatusCode": 200}


def _express_machine(name: str, definition: dict[str, Any], level: str) -> str:
    sfn = boto3.client("stepfunctions", region_name=LOCAL_REGION)
    logging: LoggingConfigurationTypeDef = {
        "level": level,  # type: ignore[typeddict-item]
        "includeExecutionData": True,
        "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": f"arn:aws:logs:{LOCAL_REGION}:1:log-group:x:*"}}],
    }
    arn: str = sfn.create_state_machine(
        name=name,
        definition=json.dumps(definition),
        roleArn=LOCAL_ROLE_ARN,
        type="EXPRESS",
        loggingConfiguration=logging,
    )["stateMachineArn"]
    return arn


def _ended(execution_arn: str) -> None:
    sfn = boto3.client("stepfunctions", region_name=LOCAL_REGION)
    wait_until(lambda: sfn.describe_execution(executionArn=execution_arn)["status"], lambda status: status != "RUNNING")


def test_an_express_machine_reports_what_its_log_level_logs_as_log_batches(emulated_aws: LocalLambdaRuntime) -> None:
    sfn = boto3.client("stepfunctions", region_name=LOCAL_REGION)
    fail = {"StartAt": "Explode", "States": {"Explode": {"Type": "Fail", "Error": "Boom", "Cause": "always"}}}
    at_error = _express_machine(f"{WORKFLOW_MACHINE}-error", json.loads(PASS), "ERROR")
    failing_at_error = _express_machine(f"{WORKFLOW_MACHINE}-error-fail", fail, "ERROR")
    at_all = _express_machine(f"{WORKFLOW_MACHINE}-all", json.loads(PASS), "ALL")
    runs = {
        machine: sfn.start_execution(stateMachineArn=machine, name="run", input='{"a": 1}')["executionArn"]
        for machine in (at_error, failing_at_error, at_all)
    }
    for execution_arn in runs.values():
        _ended(execution_arn)
    runtime = LoggedRuntime()
    watcher = ExecutionStatusWatcher(runtime, LOCAL_PREFIX, workers=1)

    watcher.poll_once()
    watcher.start()
    watcher.stop()  # delivers what was queued before stopping

    logged = [json.loads(message) for event in runtime.events for message in log_messages(event)]
    assert all("awslogs" in event for event in runtime.events)  # no EventBridge event for an express machine
    by_machine = defaultdict(list)
    for log_event in logged:
        by_machine[log_event["execution_arn"].split(":")[6]].append(log_event)
    # At ERROR a success logs nothing, a failure its end with error and cause; at ALL the start and the end.
    assert at_error.split(":")[6] not in by_machine
    (failure,) = by_machine[failing_at_error.split(":")[6]]
    assert failure["type"] == "ExecutionFailed" and failure["details"] == {"error": "Boom", "cause": "always"}
    assert failure["execution_arn"].split(":")[5] == "express"
    started, succeeded = by_machine[at_all.split(":")[6]]
    assert (started["type"], succeeded["type"]) == ("ExecutionStarted", "ExecutionSucceeded")
    assert json.loads(succeeded["details"]["output"]) == {"a": 1}
