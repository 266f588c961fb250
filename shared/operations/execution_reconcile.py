"""Execution records that outlive their executions, settled against Step Functions' own status.

A record says RUNNING while Step Functions says the execution ended (its status event was lost) or knows no such
execution (the start crashed between its record and StartExecution, its history expired, or `forge dev` restarted
while it ran: the emulation keeps no executions across a restart). Such a record ends as Step Functions reports it,
or ABORTED with `LOST_ERROR` and a cause saying why, through the same status path as the execution_events function
(`apply_status_change`, then `settle_change`: the running slots back, metrics, the error workflow), and the approvals
it waited for are withdrawn.

Two passes find them. Standard records carry `running_shard` while they run, so the sparse index `running_by_start`
lists them, and each is settled as DescribeExecution reports it. Express records stay out of that index (it cost two
index writes per execution) and DescribeExecution does not know express runs; an express run lasts at most 5 minutes
and its end is applied where it runs (or logged), so an express record still RUNNING well past that lost its end (its
starter stopped before applying it) and ends ABORTED, unless its run is known to have started: a synchronous caller
that stopped waiting marks the record `outlived_wait_at`, and since express machines log every failure, time-out and
abort (and an express run cannot be stopped by a call), such a run succeeded; its record ends SUCCEEDED without an
output (`output_unavailable` says why). A run the express runner took (`runner_started_at`) and never finished stays
lost: the runner may have died before its call reached Step Functions. The express sweep finds them with one Query
per tenant over the execution ids (which sort by start time) of a window: from where the last finished sweep ended
(`swept_through`, kept in the executions table), less a minute, through the bound. Only a sweep that went through
every tenant moves `swept_through`, so a pass that stops early, fails or is skipped leaves its window
to the next pass whole.

The execution_reconcile function runs this periodically in the cloud over records older than a bound (a younger one
may be between its record and its StartExecution, or an express run still running); `forge dev` runs the same
function once at start, over every record, before it serves a request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict, Field

from shared.approvals.service import withdraw_pending_approvals
from shared.aws import stepfunctions
from shared.executions.error_workflows import start_error_workflow
from shared.executions.naming import ExecutionName
from shared.executions.record import apply_status_change
from shared.executions.settle import settle_change
from shared.executions.statuses import ExecutionStatus
from shared.store.executions import (
    ExecutionItem,
    Executions,
    advance_express_sweep,
    express_swept_through,
    running_records_started_before,
)
from shared.store.tenancy import every_tenant
from shared.store.tenant_scoped import TenantContext

LOST_ERROR = "States.ExecutionLost"
LOST_CAUSE = (
    "Step Functions has no such execution: it never started, its history has expired, "
    "or it ran as an express execution whose end was not reported"
)
EXPRESS_LOST_CAUSE = (
    "The express run's end never reached the platform: the process that started it stopped before applying it"
)
OUTPUT_UNAVAILABLE = (
    "The run outlived its caller's wait and logged no failure, so it succeeded; Step Functions keeps no output of an "
    "express run that ended unwatched"
)
# Step Functions ends an express execution after 5 minutes at most.
EXPRESS_RUN_LIMIT = timedelta(minutes=5)
# For the failure an express run logs to reach execution_events (CloudWatch Logs delivers at best effort).
EXPRESS_END_DELIVERY_MARGIN = timedelta(minutes=10)
# Past an express run's end and its log's delivery, and longer than any start takes between its record and
# StartExecution (the API's 29 s), so no start is caught midway.
DEFAULT_RUNNING_LONGER_THAN = EXPRESS_RUN_LIMIT + EXPRESS_END_DELIVERY_MARGIN
# Where the first sweep begins (no sweep finished yet): express records are written without `running_shard` only since
# this sweep exists, so it goes back past any deployment of the two.
FIRST_SWEEP_LOOKBACK = timedelta(days=1)
# Each window begins this much before the last one ended: a start's execution id comes from its own clock.
SWEEP_OVERLAP = timedelta(minutes=1)
_STILL_OPEN = (ExecutionStatus.RUNNING.value, ExecutionStatus.PENDING_REDRIVE.value)


class ReconcileRequest(BaseModel):
    """What a pass settles; the schedule's event (EventBridge's "Scheduled Event") names nothing: the defaults."""

    model_config = ConfigDict(extra="ignore")

    # An express record has no status to ask for: below the default, a run still going would be ended (forge dev's
    # start passes 0, when no run survived).
    running_longer_than_seconds: float = Field(default=DEFAULT_RUNNING_LONGER_THAN.total_seconds(), ge=0)
    # One cause for every lost execution (forge dev's restart); by default each pass gives its own.
    lost_cause: str | None = Field(default=None, min_length=1, max_length=1_000)


@dataclass
class Reconciliation:
    """What one pass did: records looked at, and each settled record's execution id → its new status."""

    looked_at: int = 0
    settled: dict[str, str] = field(default_factory=dict)
    finished: bool = True


def reconcile_running_executions(
    logger: Logger,
    *,
    running_longer_than: timedelta = DEFAULT_RUNNING_LONGER_THAN,
    lost_cause: str | None = None,
    now: datetime | None = None,
    time_left: Callable[[], float] | None = None,
) -> Reconciliation:
    """Settles every record RUNNING since before `running_longer_than` ago whose execution is not running: the
    standard ones the index lists, then the express ones the sweep finds. `time_left()` (seconds) stops the pass early
    when it falls under a minute; the next pass goes on."""
    moment = now or datetime.now(UTC)
    result = Reconciliation()

    def out_of_time() -> bool:
        if time_left is not None and time_left() < 60:
            result.finished = False
        return not result.finished

    for record in running_records_started_before(moment - running_longer_than):
        if out_of_time():
            return result
        result.looked_at += 1
        status = reconcile_record(record, logger, lost_cause=lost_cause or LOST_CAUSE, now=moment)
        if status is not None:
            result.settled[str(record.execution_id)] = status
    _sweep_express_records(
        logger,
        through=moment - running_longer_than,
        lost_cause=lost_cause or EXPRESS_LOST_CAUSE,
        # Only past the run's limit and its failure log's delivery is a started run's silence its success.
        outlived_waits_succeeded=running_longer_than >= DEFAULT_RUNNING_LONGER_THAN,
        now=moment,
        result=result,
        out_of_time=out_of_time,
    )
    return result


def _sweep_express_records(
    logger: Logger,
    *,
    through: datetime,
    lost_cause: str,
    outlived_waits_succeeded: bool,
    now: datetime,
    result: Reconciliation,
    out_of_time: Callable[[], bool],
) -> None:
    """Ends every express record still RUNNING that started in the window, tenant by tenant: SUCCEEDED when its run
    is known to have started (it outlived its caller's wait), otherwise ABORTED; moves `swept_through` to the window's
    end once every tenant is done (a pass out of time leaves the window whole)."""
    swept = express_swept_through()
    if swept is not None and swept >= through:
        return
    start = (swept or through - FIRST_SWEEP_LOOKBACK) - SWEEP_OVERLAP
    for tenant in every_tenant():
        if out_of_time():
            return
        records = Executions(TenantContext(str(tenant.tenant_id))).express_with_status(
            ExecutionStatus.RUNNING.value, started_from=start, started_through=through
        )
        for record in records:
            if out_of_time():
                return
            result.looked_at += 1
            if outlived_waits_succeeded and record.outlived_wait_at is not None:
                detail = _succeeded_unwatched(record, now)
            else:
                detail = _lost(record, lost_cause, now)
            status = settle_record(record, detail, logger)
            if status is not None:
                result.settled[str(record.execution_id)] = status
    advance_express_sweep(through)


def reconcile_record(record: ExecutionItem, logger: Logger, *, lost_cause: str, now: datetime) -> str | None:
    """Settles one record unless its execution still runs; the status it ended with, or None."""
    detail = _step_functions_view(record, lost_cause, now)
    if detail is None:
        return None
    return settle_record(record, detail, logger)


def settle_record(record: ExecutionItem, detail: dict[str, Any], logger: Logger) -> str | None:
    """Applies the status change `detail` to the record as its event would have been; the status it ended with, or
    None when the record ended meanwhile."""
    change = apply_status_change(detail, history=detail.get("error") != LOST_ERROR)
    if change is None:  # its own status event came first
        return None
    settle_change(change)
    start_error_workflow(change, logger)
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
    try:
        described = stepfunctions.describe_execution(arn)
    except ClientError as error:
        if error.response["Error"]["Code"] != "ExecutionDoesNotExist":
            raise
        return _lost(record, lost_cause, now)
    if described["status"] in _STILL_OPEN:
        return None
    stopped = described.get("stopDate")
    return {
        **_execution_of(record),
        "status": described["status"],
        "stopDate": _epoch_milliseconds(stopped or now),
        "output": described.get("output"),
        "error": described.get("error"),
        "cause": described.get("cause"),
        "redriveCount": int(described.get("redriveCount") or 0),
    }


def _lost(record: ExecutionItem, lost_cause: str, now: datetime) -> dict[str, Any]:
    """The status change that ends a lost execution's record ABORTED."""
    return {
        **_execution_of(record),
        "status": ExecutionStatus.ABORTED.value,
        "stopDate": _epoch_milliseconds(now),
        "error": LOST_ERROR,
        "cause": lost_cause,
        # The run the record is at, so that the change applies to it.
        "redriveCount": int(record.redrive_count or 0),
    }


def _succeeded_unwatched(record: ExecutionItem, now: datetime) -> dict[str, Any]:
    """The status change that ends SUCCEEDED, without an output, an express run that outlived its caller's wait: its
    machine logs failures, time-outs and aborts, none came, and an express run cannot be stopped by a call. It ended by
    its 5-minute limit at the latest: the stop date given."""
    return {
        **_execution_of(record),
        "status": ExecutionStatus.SUCCEEDED.value,
        "stopDate": _epoch_milliseconds(min(now, record.started_at + EXPRESS_RUN_LIMIT)),
        "output": None,
        "outputUnavailable": OUTPUT_UNAVAILABLE,
        "redriveCount": int(record.redrive_count or 0),
    }


def _execution_of(record: ExecutionItem) -> dict[str, Any]:
    arn = str(record.execution_arn)
    name = ExecutionName.parse(arn.rsplit(":", 1)[-1])
    return {"executionArn": arn, "name": str(name) if name else "", "startDate": _epoch_milliseconds(record.started_at)}


def _epoch_milliseconds(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)
