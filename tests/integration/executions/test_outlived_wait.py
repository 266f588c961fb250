"""An express run that outlives its synchronous caller's wait: the caller answers (a 504 for `wait=true`, a 202 for a
sync delivery) and marks the record; the run goes on in Step Functions. Express machines log failures, time-outs and
aborts only, so a failure ends the record from its log, and a record still RUNNING past reconciliation's bound ends
SUCCEEDED, without an output and saying why. A run the express runner took and never finished stays lost (ABORTED):
nothing says its call reached Step Functions. A read timeout that comes before the wait passed (a TLS handshake's)
is a start that never left: FAILED at once.

No status watcher runs here: only the caller, the log and reconciliation can end a record."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aws_lambda_powertools import Logger
from botocore.exceptions import ReadTimeoutError

from functions.execution_events.handler import handler as execution_events
from shared.auth.principal import Role
from shared.aws import stepfunctions
from shared.executions import express, runner
from shared.executions.naming import ExecutionName
from shared.executions.record import take_express_run
from shared.executions.start import StartRequest, start_execution
from shared.executions.statuses import Trigger
from shared.operations.execution_reconcile import (
    DEFAULT_RUNNING_LONGER_THAN,
    EXPRESS_LOST_CAUSE,
    LOST_ERROR,
    OUTPUT_UNAVAILABLE,
    reconcile_running_executions,
)
from shared.store.tenant_scoped import TenantContext
from tests.integration.executions.support import create_and_publish, transform_workflow
from tests.integration.executions.test_express_logs import CONTEXT, delivery, ended_in_emulation, log_events
from tests.integration.executions.test_reconcile import StarterDied, record, running_slots, start
from tests.integration.executions.test_sync_deliveries import make_hook
from tests.integration.executions.test_webhooks import executions, signed_headers
from tests.workflows.cases import chain, node

# Longer than the read of a 1-second wait (the wait and the client's 2-second margin).
RUN_SECONDS = 4


def pausing_workflow(*, then_fail: bool = False) -> dict[str, Any]:
    """An express workflow that pauses RUN_SECONDS, then succeeds, or fails with Boom."""
    last = (
        node("explode", "fail", error="Boom", cause="it failed late")
        if then_fail
        else node("done", "transform", expression="{'done': true}")
    )
    return {
        "name": "pausing",
        "nodes": [node("start", "manual"), node("pause", "wait", seconds=RUN_SECONDS), last],
        "edges": chain("start", "pause", last["id"]),
        "settings": {"mode": "express"},
    }


class SocketReads:
    """StartSyncExecution read as botocore reads it over a socket: past its read timeout, ReadTimeoutError, while the
    run goes on in Step Functions (in-process moto has no socket to time out). `join()` waits for the runs' ends."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.calls: list[threading.Thread] = []

    def __call__(self, arn: str, name: str, state_input: str, read_timeout: float) -> dict[str, Any]:
        began = time.monotonic()
        answered: dict[str, Any] = {}

        def call_step_functions() -> None:
            try:
                answered["answer"] = self.answer(arn, name, state_input, read_timeout)
            except Exception as error:  # raised to the caller if it comes within the read
                answered["error"] = error

        call = threading.Thread(target=call_step_functions, daemon=True)
        call.start()
        self.calls.append(call)
        while time.monotonic() - began < read_timeout and call.is_alive():
            call.join(read_timeout - (time.monotonic() - began))
        if "error" in answered:
            raise answered["error"]
        if "answer" in answered:
            return dict(answered["answer"])
        raise ReadTimeoutError(endpoint_url="https://sync-states.us-east-1.amazonaws.com")

    def join(self) -> None:
        for call in self.calls:
            call.join()


@pytest.fixture
def socket_reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[SocketReads]:
    reads = SocketReads(stepfunctions.start_sync_execution)
    monkeypatch.setattr(stepfunctions, "start_sync_execution", reads)
    # `wait=true` waits 1 s instead of 25.
    monkeypatch.setattr(express, "SYNC_WAIT_SECONDS", 1.0)
    yield reads
    reads.join()


def past_the_bound(began: datetime) -> Any:
    return reconcile_running_executions(
        Logger(), now=began + DEFAULT_RUNNING_LONGER_THAN + timedelta(seconds=RUN_SECONDS + 1)
    )


def test_a_wait_true_run_that_outlives_the_wait_ends_succeeded_without_its_output_past_the_bound(
    api, alpha, socket_reads: SocketReads
) -> None:
    pausing = create_and_publish(api, alpha.headers[Role.OWNER], pausing_workflow())
    began = datetime.now(UTC)

    answered = api.post(
        f"/v1/workflows/{pausing}/executions", params={"wait": "true"}, headers=alpha.headers[Role.EDITOR], json={}
    )

    assert answered.status_code == 504, answered.text
    problem = answered.json()
    assert problem["type"].endswith("sync-wait-exceeded")
    assert "a success within about 30 minutes and without its output" in problem["detail"]
    execution_id = problem["execution_id"]
    socket_reads.join()
    # Its success is not logged (level ERROR): the record still says RUNNING, holding its slot.
    assert record(api, alpha, execution_id)["status"] == "RUNNING" and running_slots(alpha) == 1

    answer = past_the_bound(began)

    assert answer.settled == {execution_id: "SUCCEEDED"}
    ended = record(api, alpha, execution_id)
    assert (ended["status"], ended["error"], ended["output"]) == ("SUCCEEDED", None, None)
    assert ended["output_unavailable"] == OUTPUT_UNAVAILABLE
    assert running_slots(alpha) == 0
    assert start(api, alpha, pausing).status_code == 202


def test_a_sync_delivery_whose_run_outlives_the_wait_and_fails_ends_failed_from_its_log(
    api, alpha, socket_reads: SocketReads
) -> None:
    hook = make_hook(api, alpha, pausing_workflow(then_fail=True), response_mode="sync", response_timeout_seconds=1)
    began = datetime.now(UTC)
    body = b'{"order": 8}'

    answered = api.post(hook["url"], content=body, headers=signed_headers(hook["secret"], body))

    assert answered.status_code == 202, answered.text
    execution_id = answered.json()["execution_id"]
    socket_reads.join()
    # The machine logs the failure (level ERROR); CloudWatch Logs delivers it to execution_events.
    failed = log_events(ended_in_emulation(alpha, execution_id))["ExecutionFailed"]
    assert execution_events(delivery(*failed), CONTEXT)["applied"] == [f"{execution_id}:FAILED"]

    assert past_the_bound(began).settled == {}
    ended = record(api, alpha, execution_id)
    assert (ended["status"], ended["error"], ended["output_unavailable"]) == ("FAILED", "Boom", None)
    assert running_slots(alpha) == 0
    assert [run["status"] for run in executions(api, alpha)] == ["FAILED"]


def test_a_run_the_runner_took_and_never_finished_stays_lost(api, alpha, monkeypatch: pytest.MonkeyPatch) -> None:
    quick = create_and_publish(api, alpha.headers[Role.OWNER], transform_workflow("{'ok': true}", mode="express"))

    def take_then_die(name: ExecutionName, version_arn: str) -> None:
        assert take_express_run(TenantContext(name.tenant_id), name.execution_id) is not None
        raise StarterDied

    monkeypatch.setattr(runner, "hand_to_runner", take_then_die)
    began = datetime.now(UTC)
    with pytest.raises(StarterDied):
        start_execution(TenantContext(alpha.tenant_id), StartRequest(quick, {}, Trigger.MANUAL), now=began)
    (taken,) = executions(api, alpha)

    assert past_the_bound(began).settled == {taken["execution_id"]: "ABORTED"}
    ended = record(api, alpha, taken["execution_id"])
    assert (ended["status"], ended["error"], ended["cause"]) == ("ABORTED", LOST_ERROR, EXPRESS_LOST_CAUSE)
    assert ended["output_unavailable"] is None and running_slots(alpha) == 0


def test_a_read_timeout_before_the_wait_passed_is_a_start_that_never_reached_step_functions(
    api, alpha, monkeypatch: pytest.MonkeyPatch
) -> None:
    """urllib3 reports a TLS handshake that timed out as a read timeout too; it comes within the connect timeout,
    before the request was sent: the run never started, and its record must not end SUCCEEDED later."""
    pausing = create_and_publish(api, alpha.headers[Role.OWNER], pausing_workflow())

    def handshake_timed_out(arn: str, name: str, state_input: str, read_timeout: float) -> dict[str, Any]:
        raise ReadTimeoutError(endpoint_url="https://sync-states.us-east-1.amazonaws.com")

    monkeypatch.setattr(stepfunctions, "start_sync_execution", handshake_timed_out)
    answered = api.post(
        f"/v1/workflows/{pausing}/executions", params={"wait": "true"}, headers=alpha.headers[Role.EDITOR], json={}
    )

    assert answered.status_code == 503, answered.text
    (run,) = executions(api, alpha)
    assert (run["status"], run["error"]) == ("FAILED", "States.StartFailed") and running_slots(alpha) == 0
