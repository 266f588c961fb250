"""Test runs of a draft: validated and compiled as a publish would, deployed as its own short-lived standard state
machine (the same ASL, in Step Functions or forge dev's emulation alike), run once with a sample input, then
deleted; the answer carries each node's step (input, output, status, duration) from the execution's history.

A test run is no execution of the workflow: no record, no trigger, no quota; its execution name (`test-…`) is not a
platform execution's name, so the status events it causes are ignored (shared/executions/record.py). An express
workflow's draft runs as standard here, as only standard executions keep a history. The run is synchronous: after
TEST_RUN_SECONDS it is stopped and the answer holds the steps so far (an approval node waits for nobody here)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any, Literal

from pydantic import BaseModel, Field

from shared.aws import stepfunctions
from shared.executions.model import ExecutionStep
from shared.executions.payloads import STATE_MACHINE_INPUT_LIMIT
from shared.executions.statuses import ExecutionStatus
from shared.executions.steps import steps_of
from shared.problems import InvalidParam, ValidationFailed
from shared.store.tenant_scoped import TenantContext
from shared.workflows.state_machines import logging_configuration, placement

# Inside the workflows function's 29 s, with room for creating and deleting the machine.
TEST_RUN_SECONDS = 20.0
POLL_SECONDS = 0.2
STOP_SETTLE_SECONDS = 3.0
TEST_RUN_NAME_PREFIX = "test-"
TIMED_OUT_ERROR = "TestRunTimedOut"


class DraftRunRequest(BaseModel):
    input: Any = Field(default_factory=dict, description="The sample input the draft runs with (at most 256 KB)")


class DraftRun(BaseModel):
    test_run: Literal[True] = Field(default=True, description="Not an execution: no record, no quota, no trigger")
    status: ExecutionStatus
    output: Any = None
    error: str | None = None
    cause: str | None = None
    duration_ms: int | None = None
    steps: list[ExecutionStep] = Field(description="Each entry into a node's state, in order, with its output")


def run_draft(
    tenant: TenantContext,
    workflow_id: str,
    definition: dict[str, Any],
    request: DraftRunRequest,
    *,
    wait_seconds: float | None = None,
) -> DraftRun:
    wait_seconds = TEST_RUN_SECONDS if wait_seconds is None else wait_seconds
    state_input = json.dumps(request.input, separators=(",", ":"))
    if len(state_input.encode()) > STATE_MACHINE_INPUT_LIMIT:
        raise ValidationFailed([InvalidParam(name="/input", reason="a test run's input is at most 256 KB")])
    run_id = uuid.uuid4().hex[:8]
    machine_arn, version_arn = stepfunctions.create_state_machine(
        name=f"{placement().state_machine_name(workflow_id)}-test-{run_id}",
        definition=json.dumps(definition, separators=(",", ":")),
        role_arn=placement().execution_role_arn,
        express=False,
        version_description="test run",
        tags={"nexus-forge:tenant": tenant.tenant_id, "nexus-forge:workflow": workflow_id, "nexus-forge:test": "run"},
        logging=logging_configuration(express=False),
    )
    try:
        started = stepfunctions.start_execution(version_arn, f"{TEST_RUN_NAME_PREFIX}{run_id}", state_input)
        execution_arn = str(started["executionArn"])
        described = _wait_for_end(execution_arn, wait_seconds)
        if described["status"] == ExecutionStatus.RUNNING:
            stop = {"error": TIMED_OUT_ERROR, "cause": f"a test run is stopped after {wait_seconds:g} s"}
            stepfunctions.stop_execution(execution_arn, **stop)
            # Stopping is asynchronous: the execution reads ABORTED once Step Functions has stopped its step.
            described = {**_wait_for_end(execution_arn, STOP_SETTLE_SECONDS), **stop}
        steps = steps_of(stepfunctions.execution_history(execution_arn))
    finally:
        stepfunctions.delete_state_machine(machine_arn)
    return DraftRun(
        status=ExecutionStatus(described["status"]),
        output=_json(described.get("output")),
        error=described.get("error"),
        cause=described.get("cause"),
        duration_ms=_duration_ms(described),
        steps=steps,
    )


def _wait_for_end(execution_arn: str, wait_seconds: float) -> dict[str, Any]:
    deadline = time.monotonic() + wait_seconds
    described = stepfunctions.describe_execution(execution_arn)
    while described["status"] == ExecutionStatus.RUNNING and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        described = stepfunctions.describe_execution(execution_arn)
    return described


def _duration_ms(described: dict[str, Any]) -> int | None:
    started, stopped = described.get("startDate"), described.get("stopDate")
    return int((stopped - started).total_seconds() * 1000) if started and stopped else None


def _json(text: str | None) -> Any:
    return json.loads(text) if text else None
