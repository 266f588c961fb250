"""A schedule (EventBridge rule) → running execution records whose executions ended or are gone, settled against
Step Functions' own status; forge dev invokes it once at start."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.operations.execution_reconcile import ReconcileRequest, reconcile_running_executions

logger = Logger()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = ReconcileRequest.model_validate(event)
    result = reconcile_running_executions(
        logger,
        running_longer_than=timedelta(seconds=request.running_longer_than_seconds),
        lost_cause=request.lost_cause,
        time_left=lambda: context.get_remaining_time_in_millis() / 1000,
    )
    logger.info(
        "reconciliation pass",
        extra={"looked_at": result.looked_at, "settled": len(result.settled), "finished": result.finished},
    )
    return {"looked_at": result.looked_at, "settled": result.settled, "finished": result.finished}
