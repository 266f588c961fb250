"""A workflow's error workflow: when an applied status change asks for it, what it receives, and starting it.

Started by whatever applied the change (the execution_events function, a reconciliation, a synchronous express
start's caller), never by the record's status path itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shared.executions.record import AppliedChange
from shared.executions.statuses import ENDED_BADLY, ExecutionStatus, Trigger
from shared.observability import logger as shared_logger
from shared.problems import ProblemError
from shared.store.executions import ExecutionItem

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger


def error_workflow_input(record: ExecutionItem) -> dict[str, Any]:
    """What an error workflow receives about the execution that failed."""
    return {
        "execution_id": record.execution_id,
        "workflow_id": record.workflow_id,
        "version": int(record.version),
        "status": record.status,
        "error": record.error,
        "cause": record.cause,
        "failed_node": record.failed_node,
        "started_at": record.started_at.isoformat(),
        "stopped_at": record.stopped_at.isoformat() if record.stopped_at else None,
    }


def needs_error_workflow(change: AppliedChange) -> bool:
    record = change.record
    return (
        change.ended
        and ExecutionStatus(record.status) in ENDED_BADLY
        and bool(record.error_workflow_id)
        # An error workflow's own failure does not start another one: no loops.
        and record.trigger != Trigger.ERROR_WORKFLOW.value
    )


def start_error_workflow(change: AppliedChange, logger: Logger = shared_logger) -> None:
    """Starts the error workflow of an execution that this change ended badly, if it names one: what every path that
    applies a status change runs after it (an `EndFollowUp`), at once, so a failure's error workflow waits for no
    batch. Quality control observes the end from the executions table's stream (shared/quality/stream.py)."""
    if not needs_error_workflow(change):
        return
    # Imported here: only a failure with an error workflow starts an execution, and loading the start path (payload
    # store, quotas, tiers, targets) at import would cost every cold start of execution_events about 15 ms. The first
    # error workflow of a container pays it (bench/cold_start.py, first invocation).
    from shared.executions.start import StartRequest, start_execution

    record = change.record
    try:
        started = start_execution(
            change.tenant,
            StartRequest(
                workflow_id=str(record.error_workflow_id),
                input=error_workflow_input(record),
                trigger=Trigger.ERROR_WORKFLOW,
                source=str(record.execution_id),
                # A redelivered event finds the error workflow already started.
                idempotency_key=f"error-workflow:{record.execution_id}",
            ),
        )
        logger.info("error workflow started", extra={"error_execution_id": started.execution_id})
    except ProblemError as error:
        logger.warning("error workflow not started", extra={"reason": str(error)})
