"""Express executions' status changes from their execution log events.

Express machines send no "Step Functions Execution Status Change" events; they log their execution events to
CloudWatch Logs, whose subscription delivers them to the execution_events function. `status_changes_from_logs` turns
those log events into changes of the events' shape, which shared/executions/record.py applies.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from shared.executions.naming import ExecutionName
from shared.executions.statuses import ExecutionStatus

# Step Functions' execution-level log events and the status of each.
LOG_EVENT_STATUSES = {
    "ExecutionStarted": ExecutionStatus.RUNNING,
    "ExecutionSucceeded": ExecutionStatus.SUCCEEDED,
    "ExecutionFailed": ExecutionStatus.FAILED,
    "ExecutionTimedOut": ExecutionStatus.TIMED_OUT,
    "ExecutionAborted": ExecutionStatus.ABORTED,
}
# Step Functions' log levels, least to most severe, and the lowest at which each execution event is logged ("Log
# levels" in the Step Functions developer guide: ALL logs every event, ERROR and FATAL an execution's failed ends).
LOG_LEVELS = ("ALL", "ERROR", "FATAL", "OFF")
_LOGGED_FROM = {
    "ExecutionStarted": "ALL",
    "ExecutionSucceeded": "ALL",
    "ExecutionFailed": "FATAL",
    "ExecutionTimedOut": "FATAL",
    "ExecutionAborted": "FATAL",
}


def logs_execution_event(level: str, event_type: str) -> bool:
    """Whether a machine logging at `level` logs this execution event."""
    return level != "OFF" and LOG_LEVELS.index(level) <= LOG_LEVELS.index(_LOGGED_FROM[event_type])


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
