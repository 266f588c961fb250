"""Step Functions status changes (EventBridge) → the execution record, the running slot, metrics, error workflow."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.aws.eventbridge import EventBridgeEvent
from shared.executions.settle import settle_change
from shared.executions.status import apply_status_change

logger = Logger()
metrics = Metrics()


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    change = apply_status_change(EventBridgeEvent.model_validate(event).detail)
    if change is None:
        return {"applied": False}
    record = change.record
    logger.append_keys(tenant_id=change.tenant.tenant_id, workflow_id=record.workflow_id, execution_id=record.sk)
    settle_change(change, metrics, logger)
    return {"applied": True, "status": record.status}
