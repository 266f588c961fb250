"""Applying a "Step Functions Execution Status Change" event to the execution record.

The execution's name carries the tenant and the record's key, so a change costs one conditional update, plus one
more to give back the running slot when the execution ends. Stale and repeated events fail the condition and
change nothing: a record only leaves RUNNING (or PENDING_REDRIVE) once, unless a redrive starts it again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pynamodb.exceptions import UpdateError

from shared.aws.clients import stepfunctions_client
from shared.executions.model import ENDED, ENDED_BADLY, ExecutionStatus, Trigger
from shared.executions.naming import ExecutionName
from shared.executions.payloads import RECORD_INLINE_LIMIT, payload_key, store_payload
from shared.executions.queries import failed_node
from shared.store.executions import ExecutionItem, Executions, StatusTransition
from shared.store.tenant_scoped import TenantContext

_OPEN = [ExecutionStatus.RUNNING.value, ExecutionStatus.PENDING_REDRIVE.value]
_ENDING_ATTRIBUTES = (
    ExecutionItem.stopped_at,
    ExecutionItem.duration_ms,
    ExecutionItem.error,
    ExecutionItem.cause,
    ExecutionItem.failed_node,
)


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
    elif redrives:
        # A redrive runs the execution again: the end it had is no longer its end.
        actions += [attribute.remove() for attribute in _ENDING_ATTRIBUTES]
    # An open record takes the changes of its current run (not a late event of a run before a redrive); an ended
    # one only those of a later redrive.
    current_run = ExecutionItem.redrive_count.does_not_exist() | (ExecutionItem.redrive_count <= redrives)
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
        for attribute, field in ((ExecutionItem.error, "error"), (ExecutionItem.cause, "cause")):
            if detail.get(field):
                actions.append(attribute.set(str(detail[field])[:32_768]))
        node = _failed_node(str(detail.get("executionArn", ""))) if history else None
        if node:
            actions.append(ExecutionItem.failed_node.set(node))
    return actions


def _failed_node(execution_arn: str) -> str | None:
    if not execution_arn:
        return None
    events = stepfunctions_client().get_execution_history(executionArn=execution_arn, reverseOrder=False)["events"]
    return failed_node([dict(event) for event in events])


def _moment(epoch_milliseconds: Any) -> datetime | None:
    if epoch_milliseconds in (None, ""):
        return None
    return datetime.fromtimestamp(int(epoch_milliseconds) / 1000, UTC)


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
