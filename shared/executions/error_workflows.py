"""A workflow's error workflow: when an applied status change asks for it, and what it receives."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shared.executions.statuses import ENDED_BADLY, ExecutionStatus, Trigger
from shared.store.executions import ExecutionItem

if TYPE_CHECKING:
    from shared.executions.status import AppliedChange


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
