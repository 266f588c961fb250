"""Step Functions status changes → the execution record, the running slot, metrics, error workflow (quality control
observes the ends from the executions table's stream: functions/execution_usage).

Three sources: EventBridge's "Step Functions Execution Status Change" events (standard workflows), the CloudWatch
Logs subscription of the express workflows' log group (a batch of their execution log events: failures), and the
express runs handed over by their starters, which this function runs synchronously (shared/executions/runner.py).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.aws.cloudwatch_logs import is_logs_subscription_event, log_messages
from shared.aws.eventbridge import EventBridgeEvent
from shared.executions.error_workflows import start_error_workflow
from shared.executions.log_events import status_changes_from_logs
from shared.executions.record import apply_logged_changes, apply_status_change
from shared.executions.runner import is_express_run, run_handed_over
from shared.executions.settle import settle_change
from shared.executions.statuses import ExecutionStatus

logger = Logger()


# EventBridge status changes: the execution they are about (a Logs batch carries several).
@logger.inject_lambda_context(correlation_id_path="detail.executionArn")
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if is_logs_subscription_event(event):
        return _logged_changes(status_changes_from_logs(log_messages(event)))
    if is_express_run(event):
        return run_handed_over(event, lambda change: start_error_workflow(change, logger))
    # Its followers need only the end: the end is written without reading the record when it can be.
    change = apply_status_change(EventBridgeEvent.model_validate(event).detail, whole_record=False)
    if change is None:
        return {"applied": False}
    record = change.record
    logger.append_keys(tenant_id=change.tenant.tenant_id, workflow_id=record.workflow_id, execution_id=record.sk)
    settle_change(change)
    start_error_workflow(change, logger)
    return {"applied": True, "status": record.status}


def _logged_changes(details: list[dict[str, Any]]) -> dict[str, Any]:
    """Applies a batch's changes, each execution's in order (shared/executions/record.py's apply_logged_changes)."""
    applied: list[str] = []
    for change in apply_logged_changes(details):
        record = change.record
        logger.append_keys(tenant_id=change.tenant.tenant_id, workflow_id=record.workflow_id, execution_id=record.sk)
        settle_change(change)
        start_error_workflow(change, logger)
        # A start and an end applied in one update are both listed.
        if change.started and change.ended:
            applied.append(f"{record.sk}:{ExecutionStatus.RUNNING.value}")
        applied.append(f"{record.sk}:{record.status}")
    logger.remove_keys(["tenant_id", "workflow_id", "execution_id"])
    return {"applied": applied, "changes": len(details)}
