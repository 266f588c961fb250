"""Applying a "Step Functions Execution Status Change" event to the execution record.

The execution's name carries the tenant and the record's key, so a change costs one conditional update, plus one
more to give back the running slot when the execution ends. Stale and repeated events fail the condition and
change nothing: a record only leaves RUNNING (or PENDING_REDRIVE) once, unless a redrive starts it again, and takes
the RUNNING of a run once.

Express machines send no status-change events; they log their execution events to CloudWatch Logs, whose
subscription delivers them to the same function. `status_changes_from_logs` turns those log events into changes of
the same shape, applied by the same `apply_status_change`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pynamodb.exceptions import UpdateError

from shared.aws import stepfunctions
from shared.executions.causes import public_cause
from shared.executions.naming import ExecutionName
from shared.executions.payloads import RECORD_INLINE_LIMIT, payload_key, store_payload
from shared.executions.queries import failed_node
from shared.executions.statuses import ENDED, ENDED_BADLY, ExecutionStatus
from shared.store.executions import ExecutionItem, Executions, StatusTransition, running_shard
from shared.store.tenant_scoped import TenantContext

_OPEN = [ExecutionStatus.RUNNING.value, ExecutionStatus.PENDING_REDRIVE.value]
_ENDING_ATTRIBUTES = (
    ExecutionItem.stopped_at,
    ExecutionItem.duration_ms,
    ExecutionItem.error,
    ExecutionItem.cause,
    ExecutionItem.failed_node,
)


# Step Functions' execution-level log events (what an express machine logs at level ALL) and the status of each.
LOG_EVENT_STATUSES = {
    "ExecutionStarted": ExecutionStatus.RUNNING,
    "ExecutionSucceeded": ExecutionStatus.SUCCEEDED,
    "ExecutionFailed": ExecutionStatus.FAILED,
    "ExecutionTimedOut": ExecutionStatus.TIMED_OUT,
    "ExecutionAborted": ExecutionStatus.ABORTED,
}


@dataclass(frozen=True)
class AppliedChange:
    tenant: TenantContext
    record: ExecutionItem
    ended: bool


def apply_status_change(detail: dict[str, Any], *, history: bool = True) -> AppliedChange | None:
    """Updates the record; None when the execution is not the platform's or the event is stale or repeated.

    `history=False` for an express execution's end: Step Functions keeps no history of those to find the failed node.
    """
    name = ExecutionName.parse(str(detail.get("name", "")))
    if name is None:
        return None
    tenant = TenantContext(name.tenant_id)
    status = ExecutionStatus(detail["status"])
    record = Executions(tenant).new(name.execution_id)
    changed_at = _moment(detail.get("stopDate" if status in ENDED else "startDate")) or datetime.now(UTC)
    transition = StatusTransition(status=status.value, at=changed_at)  # type: ignore[no-untyped-call]
    actions: list[Any] = [
        ExecutionItem.status.set(status.value),
        ExecutionItem.revision.add(1),
        ExecutionItem.transitions.set(ExecutionItem.transitions.append([transition])),
    ]
    redrives = int(detail.get("redriveCount") or 0)
    if status in ENDED:
        actions += _ending_actions(tenant, name, status, detail, history=history)
        actions.append(ExecutionItem.running_shard.remove())
    elif redrives:
        # A redrive runs the execution again: the end it had is no longer its end.
        actions += [attribute.remove() for attribute in _ENDING_ATTRIBUTES]
        actions.append(ExecutionItem.running_shard.set(running_shard(name.execution_id)))
    # An open record takes the changes of its current run (not a late event of a run before a redrive); an ended
    # one only those of a later redrive.
    current_run = ExecutionItem.redrive_count.does_not_exist() | (ExecutionItem.redrive_count <= redrives)
    if status is ExecutionStatus.RUNNING and not redrives:
        # The first run starts once: a repeated start (an event delivered twice, or an express run reported both by
        # its log and by StartSyncExecution's answer) finds the start already applied.
        current_run &= ExecutionItem.revision == 0
    condition = ExecutionItem.pk.exists() & (
        (ExecutionItem.status.is_in(*_OPEN) & current_run) | (ExecutionItem.redrive_count < redrives)
    )
    if redrives:
        actions.append(ExecutionItem.redrive_count.set(redrives))
    try:
        record.update(actions=actions, condition=condition)
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return None
        raise
    return AppliedChange(tenant, record, ended=status in ENDED)


def _ending_actions(
    tenant: TenantContext, name: ExecutionName, status: ExecutionStatus, detail: dict[str, Any], *, history: bool
) -> list[Any]:
    started = _moment(detail.get("startDate"))
    stopped = _moment(detail.get("stopDate")) or datetime.now(UTC)
    actions: list[Any] = [ExecutionItem.stopped_at.set(stopped)]
    if started is not None:
        actions.append(ExecutionItem.duration_ms.set(int((stopped - started).total_seconds() * 1000)))
    if status is ExecutionStatus.SUCCEEDED and detail.get("output") is not None:
        output_text = str(detail["output"])
        if len(output_text.encode()) <= RECORD_INLINE_LIMIT:
            actions.append(ExecutionItem.output.set(json.loads(output_text)))
        else:
            key = payload_key(tenant, name.execution_id, "output")
            store_payload(key, output_text.encode())
            actions.append(ExecutionItem.output_ref.set(key))
    if status in ENDED_BADLY:
        if detail.get("error"):
            actions.append(ExecutionItem.error.set(str(detail["error"])[:32_768]))
        cause = public_cause(str(detail["cause"])) if detail.get("cause") else None
        if cause:
            actions.append(ExecutionItem.cause.set(cause[:32_768]))
        node = _failed_node(str(detail.get("executionArn", ""))) if history else None
        if node:
            actions.append(ExecutionItem.failed_node.set(node))
    return actions


def status_changes_from_logs(messages: Iterable[str]) -> list[dict[str, Any]]:
    """The status changes (an EventBridge event's `detail`, in order) that the execution log events of express
    machines report; other log events (states', or not JSON) report none.

    A log event names the execution by its ARN (`arn:aws:states:<region>:<account>:express:<machine>:<name>:<id>`),
    whose name carries the tenant and the record as for a standard execution. An end takes its start time from the
    start of the same execution in the batch, or else from the execution id (which begins with the start time). An
    output the log truncated (over 248 KB escaped) is not recorded.
    """
    logged = [event for event in map(_log_event, messages) if event is not None]
    starts = {
        str(event["execution_arn"]): event["event_timestamp"] for event in logged if event["type"] == "ExecutionStarted"
    }
    changes: list[dict[str, Any]] = []
    for event in logged:
        arn = str(event["execution_arn"])
        name = ExecutionName.parse(_execution_name(arn))
        if name is None:
            continue
        status = LOG_EVENT_STATUSES[str(event["type"])]
        details = event.get("details") or {}
        change: dict[str, Any] = {
            "executionArn": arn,
            "name": str(name),
            "status": status.value,
            "redriveCount": int(event.get("redrive_count") or 0),
        }
        if status is ExecutionStatus.RUNNING:
            change["startDate"] = int(event["event_timestamp"])
        else:
            change["startDate"] = int(starts.get(arn) or int(name.execution_id[:11], 16))
            change["stopDate"] = int(event["event_timestamp"])
            truncated = bool((details.get("outputDetails") or {}).get("truncated"))
            if status is ExecutionStatus.SUCCEEDED and details.get("output") is not None and not truncated:
                change["output"] = details["output"]
            change |= {field: details[field] for field in ("error", "cause") if details.get(field)}
        changes.append(change)
    return changes


def _log_event(message: str) -> dict[str, Any] | None:
    try:
        event = json.loads(message)
    except ValueError:
        return None
    if not isinstance(event, dict) or event.get("type") not in LOG_EVENT_STATUSES:
        return None
    if not event.get("execution_arn") or not str(event.get("event_timestamp", "")).isdigit():
        return None
    return event


def _execution_name(execution_arn: str) -> str:
    """The name in an execution's ARN: `...:execution:<machine>:<name>` (standard) or
    `...:express:<machine>:<name>:<id>` (express)."""
    parts = execution_arn.split(":")
    return parts[7] if len(parts) >= 8 and parts[5] in ("execution", "express") else ""


def _failed_node(execution_arn: str) -> str | None:
    if not execution_arn:
        return None
    return failed_node(stepfunctions.first_history_events(execution_arn))


def _moment(epoch_milliseconds: Any) -> datetime | None:
    if epoch_milliseconds in (None, ""):
        return None
    return datetime.fromtimestamp(int(epoch_milliseconds) / 1000, UTC)
