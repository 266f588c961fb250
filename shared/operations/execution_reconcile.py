"""Execution records that outlive their executions, settled against Step Functions' own status.

A record says RUNNING while Step Functions says the execution ended (its status event was lost) or knows no such
execution (the start crashed between its record and StartExecution, its history expired, or `forge dev` restarted
while it ran: the emulation keeps no executions across a restart). Such a record ends as Step Functions reports it,
or ABORTED with `LOST_ERROR` and a cause saying why, through the same status path as the execution_events function
(`apply_status_change`, then `settle_change`: the running slots back, metrics, the error workflow), and the approvals
it waited for are withdrawn.

The execution_reconcile function runs this periodically in the cloud over records older than a bound (a younger one
may be between its record and its StartExecution); `forge dev` runs the same function once at start, over every
record, before it serves a request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict, Field

from shared.approvals.service import withdraw_pending_approvals
from shared.aws import stepfunctions
from shared.executions.naming import ExecutionName
from shared.executions.record import apply_status_change
from shared.executions.settle import settle_change
from shared.executions.statuses import ExecutionStatus
from shared.quality.service import follow_up_end
from shared.store.executions import ExecutionItem, running_records_started_before

LOST_ERROR = "States.ExecutionLost"
LOST_CAUSE = (
    "Step Functions has no such execution: it never started, its history has expired, "
    "or it ran as an express execution whose end was not reported"
)
# Longer than any start takes between its record and StartExecution (the API's 29 s), so no start is caught midway.
DEFAULT_RUNNING_LONGER_THAN = timedelta(minutes=15)
_STILL_OPEN = (ExecutionStatus.RUNNING.value, ExecutionStatus.PENDING_REDRIVE.value)


class ReconcileRequest(BaseModel):
    """What a pass settles; the schedule's event (EventBridge's "Scheduled Event") names nothing: the defaults."""

    model_config = ConfigDict(extra="ignore")

    running_longer_than_seconds: float = Field(default=DEFAULT_RUNNING_LONGER_THAN.total_seconds(), ge=0)
    lost_cause: str = Field(default=LOST_CAUSE, min_length=1, max_length=1_000)


@dataclass
class Reconciliation:
    """What one pass did: records looked at, and each settled record's execution id → its new status."""

    looked_at: int = 0
    settled: dict[str, str] = field(default_factory=dict)
    finished: bool = True


def reconcile_running_executions(
    metrics: Metrics,
    logger: Logger,
    *,
    running_longer_than: timedelta = DEFAULT_RUNNING_LONGER_THAN,
    lost_cause: str = LOST_CAUSE,
    now: datetime | None = None,
    time_left: Callable[[], float] | None = None,
) -> Reconciliation:
    """Settles every record RUNNING since before `running_longer_than` ago whose execution is not running.
    `time_left()` (seconds) stops the pass early when it falls under a minute; the next pass goes on."""
    moment = now or datetime.now(UTC)
    result = Reconciliation()
    for record in running_records_started_before(moment - running_longer_than):
        if time_left is not None and time_left() < 60:
            result.finished = False
            break
        result.looked_at += 1
        status = reconcile_record(record, metrics, logger, lost_cause=lost_cause, now=moment)
        if status is not None:
            result.settled[str(record.execution_id)] = status
    return result


def reconcile_record(
    record: ExecutionItem, metrics: Metrics, logger: Logger, *, lost_cause: str, now: datetime
) -> str | None:
    """Settles one record unless its execution still runs; the status it ended with, or None."""
    detail = _step_functions_view(record, lost_cause, now)
    if detail is None:
        return None
    change = apply_status_change(detail, history=detail["error"] != LOST_ERROR)
    if change is None:  # its own status event came first
        return None
    settle_change(change, metrics)
    follow_up_end(change, logger)
    # One EMF document per change: the dimensions are the change's tenant and workflow.
    if metrics.metric_set:
        metrics.flush_metrics()
    metrics.clear_metrics()
    withdrawn = withdraw_pending_approvals(change.tenant, str(record.execution_id), since=record.started_at)
    # Per line, not appended to the logger: locally every function shares one process and its loggers.
    logger.info(
        "execution settled by reconciliation",
        extra={
            "tenant_id": change.tenant.tenant_id,
            "workflow_id": record.workflow_id,
            "execution_id": record.execution_id,
            "status": change.record.status,
            "approvals_withdrawn": withdrawn,
        },
    )
    return str(change.record.status)


def _step_functions_view(record: ExecutionItem, lost_cause: str, now: datetime) -> dict[str, Any] | None:
    """The status change (an EventBridge event's `detail`) Step Functions' DescribeExecution reports for the record;
    None while the execution runs."""
    arn = str(record.execution_arn)
    name = ExecutionName.parse(arn.rsplit(":", 1)[-1])
    common: dict[str, Any] = {
        "executionArn": arn,
        "name": str(name) if name else "",
        "startDate": _epoch_milliseconds(record.started_at),
    }
    try:
        described = stepfunctions.describe_execution(arn)
    except ClientError as error:
        if error.response["Error"]["Code"] != "ExecutionDoesNotExist":
            raise
        return {
            **common,
            "status": ExecutionStatus.ABORTED.value,
            "stopDate": _epoch_milliseconds(now),
            "error": LOST_ERROR,
            "cause": lost_cause,
            # The run the record is at, so that the change applies to it.
            "redriveCount": int(record.redrive_count or 0),
        }
    if described["status"] in _STILL_OPEN:
        return None
    stopped = described.get("stopDate")
    return {
        **common,
        "status": described["status"],
        "stopDate": _epoch_milliseconds(stopped or now),
        "output": described.get("output"),
        "error": described.get("error"),
        "cause": described.get("cause"),
        "redriveCount": int(described.get("redriveCount") or 0),
    }


def _epoch_milliseconds(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)
