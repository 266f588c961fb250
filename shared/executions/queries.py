"""Reading executions: one record (payloads loaded from S3 when stored there), filtered pages, per-step history."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError
from pynamodb.expressions.condition import Condition

from shared.aws.clients import stepfunctions_client
from shared.executions.causes import public_cause
from shared.executions.model import (
    Execution,
    ExecutionHistory,
    ExecutionPage,
    ExecutionStep,
    ExecutionSummary,
    StepStatus,
    TokenUsage,
)
from shared.executions.payloads import load_payload
from shared.executions.statuses import ExecutionStatus, Trigger
from shared.problems import NotFound, ProblemError
from shared.settings import get_settings
from shared.store.execution_ids import is_execution_id
from shared.store.executions import ExecutionItem, Executions
from shared.store.tenant_scoped import TenantContext

# Generated helper states are named `<node id>__<suffix>`; the step belongs to the node.
_GENERATED_STATE_SEPARATOR = "__"
_ATTEMPT_EVENTS = ("TaskScheduled", "LambdaFunctionScheduled")


class HistoryGone(ProblemError):
    status = 410
    slug = "history-gone"
    title = "The execution's step history is no longer available"


def summary_of(item: ExecutionItem) -> ExecutionSummary:
    return ExecutionSummary(
        execution_id=item.execution_id,
        workflow_id=item.workflow_id,
        version=int(item.version),
        trigger=Trigger(item.trigger),
        source=item.source,
        status=ExecutionStatus(item.status),
        started_at=item.started_at,
        stopped_at=item.stopped_at,
        duration_ms=int(item.duration_ms) if item.duration_ms is not None else None,
        error=item.error,
        # Records made before causes were shaped at recording may still hold a trace.
        cause=public_cause(item.cause),
        failed_node=item.failed_node,
        redrive_count=int(item.redrive_count or 0),
        revision=int(item.revision or 0),
    )


def execution_of(item: ExecutionItem) -> Execution:
    return Execution(
        **summary_of(item).model_dump(),
        input=load_payload(item.input_ref) if item.input_ref else item.input,
        output=load_payload(item.output_ref) if item.output_ref else item.output,
        usage=agent_usage_of(item),
    )


def agent_usage_of(item: ExecutionItem) -> TokenUsage | None:
    if item.input_tokens is None and item.output_tokens is None:
        return None
    return TokenUsage(input_tokens=int(item.input_tokens or 0), output_tokens=int(item.output_tokens or 0))


def find_execution(tenant: TenantContext, execution_id: str, *, consistent: bool = False) -> ExecutionItem:
    item = Executions(tenant).get(execution_id, consistent=consistent) if is_execution_id(execution_id) else None
    if item is None:
        raise NotFound(f"No execution with id {execution_id!r}")
    return item


def list_executions(
    tenant: TenantContext,
    *,
    limit: int,
    cursor: str | None,
    workflow_id: str | None = None,
    status: ExecutionStatus | None = None,
    trigger: Trigger | None = None,
    started_after: datetime | None = None,
    started_before: datetime | None = None,
) -> ExecutionPage:
    filters: list[Condition] = []
    if workflow_id is not None:
        filters.append(ExecutionItem.workflow_id == workflow_id)
    if status is not None:
        filters.append(ExecutionItem.status == status.value)
    if trigger is not None:
        filters.append(ExecutionItem.trigger == trigger.value)
    combined: Condition | None = None
    for condition in filters:
        combined = condition if combined is None else combined & condition
    page = Executions(tenant).search(
        limit=limit, cursor=cursor, started_after=started_after, started_before=started_before, filters=combined
    )
    return ExecutionPage(items=[summary_of(item) for item in page.items], next_cursor=page.next_cursor)


def execution_history(tenant: TenantContext, execution_id: str) -> ExecutionHistory:
    """Per-step history from Step Functions' execution history (kept 90 days there)."""
    item = find_execution(tenant, execution_id)
    events: list[dict[str, Any]] = []
    paginator = stepfunctions_client().get_paginator("get_execution_history")
    try:
        for page in paginator.paginate(executionArn=item.execution_arn, includeExecutionData=True):
            events.extend(page["events"])  # type: ignore[arg-type]
    except ClientError as error:
        if error.response["Error"]["Code"] != "ExecutionDoesNotExist":
            raise
        raise HistoryGone(_why_history_is_gone(item)) from error
    return ExecutionHistory(execution_id=execution_id, status=ExecutionStatus(item.status), steps=steps_of(events))


def _why_history_is_gone(item: ExecutionItem) -> str:
    local_started_at = get_settings().local_started_at
    if local_started_at is not None and item.started_at < local_started_at:
        return (
            "forge dev keeps no step history across a restart and this execution ran before the last one;"
            " its record (status, input, output) is kept"
        )
    return "Step Functions no longer has this execution's history: its workflow was deleted or 90 days passed"


def steps_of(events: list[dict[str, Any]]) -> list[ExecutionStep]:
    """Folds history events into steps: entered → (scheduled attempts, failures) → exited."""
    steps: list[ExecutionStep] = []
    open_steps: list[ExecutionStep] = []
    for event in events:
        kind: str = event["type"]
        if kind.endswith("StateEntered"):
            details = event["stateEnteredEventDetails"]
            state = details["name"]
            step = ExecutionStep(
                node_id=state.split(_GENERATED_STATE_SEPARATOR, 1)[0],
                state=state,
                status=StepStatus.RUNNING,
                attempts=0,
                started_at=event["timestamp"],
                input=_json(details.get("input")),
            )
            steps.append(step)
            open_steps.append(step)
        elif kind.endswith("StateExited") and open_steps:
            details = event["stateExitedEventDetails"]
            exited = _pop_open(open_steps, details["name"])
            if exited is not None:
                exited.status = StepStatus.FAILED if exited.error else StepStatus.SUCCEEDED
                exited.stopped_at = event["timestamp"]
                exited.duration_ms = int((event["timestamp"] - exited.started_at).total_seconds() * 1000)
                exited.output = _json(details.get("output"))
        elif kind in _ATTEMPT_EVENTS and open_steps:
            open_steps[-1].attempts += 1
        elif kind.endswith("Failed") and open_steps and not kind.startswith("Execution"):
            failure: dict[str, Any] = next((value for key, value in event.items() if key.endswith("EventDetails")), {})
            open_steps[-1].error = failure.get("error")
            open_steps[-1].cause = public_cause(failure.get("cause"))
        elif kind.startswith("Execution") and kind != "ExecutionStarted":
            for step in open_steps:
                step.status = StepStatus.FAILED
    for step in steps:
        step.attempts = max(step.attempts, 1)
    return steps


def failed_node(events: list[dict[str, Any]]) -> str | None:
    """The node whose state was running when the execution failed, or that failed last."""
    failed = [step for step in steps_of(events) if step.status == StepStatus.FAILED]
    return failed[-1].node_id if failed else None


def _pop_open(open_steps: list[ExecutionStep], state: str) -> ExecutionStep | None:
    for position in range(len(open_steps) - 1, -1, -1):
        if open_steps[position].state == state:
            return open_steps.pop(position)
    return None


def _json(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text
