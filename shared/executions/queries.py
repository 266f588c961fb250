"""Reading executions: filtered pages and per-step history (one record: shared/executions/record.py)."""

from __future__ import annotations

from datetime import datetime

from botocore.exceptions import ClientError
from pynamodb.expressions.condition import Condition

from shared.aws import stepfunctions
from shared.executions.model import (
    ExecutionHistory,
    ExecutionPage,
    summary_of,
)
from shared.executions.record import find_execution
from shared.executions.statuses import ExecutionStatus, Trigger
from shared.executions.steps import steps_of
from shared.problems import ProblemError
from shared.settings import get_settings
from shared.store.executions import ExecutionItem, Executions
from shared.store.tenant_scoped import TenantContext


class HistoryGone(ProblemError):
    status = 410
    slug = "history-gone"
    title = "The execution's step history is no longer available"


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
    try:
        events = stepfunctions.execution_history(item.execution_arn)
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
