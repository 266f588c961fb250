"""EventBridge Scheduler's target (locally, forge dev's scheduler): one slot of one schedule → one execution."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.metrics import SCHEDULE_SLOTS_FAILED, SCHEDULE_SLOTS_STARTED
from shared.triggers.schedules.firing import FireResult, fire_schedule
from shared.triggers.schedules.slots import FirePayload

logger = Logger()
metrics = Metrics()


@logger.inject_lambda_context(correlation_id_path="schedule_id")
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    payload = FirePayload.model_validate(event)
    # Per line, not appended to the logger: locally every function shares one process and its loggers.
    keys = {
        "tenant_id": payload.tenant_id,
        "schedule_id": payload.schedule_id,
        "workflow_id": payload.workflow_id,
        "scheduled_time": payload.scheduled_time.isoformat(),
    }
    outcome = fire_schedule(payload)
    metrics.add_metric(
        name=SCHEDULE_SLOTS_FAILED, unit=MetricUnit.Count, value=int(outcome.result is FireResult.FAILED)
    )
    if outcome.result is FireResult.FAILED:
        logger.error(
            "schedule slot could not start its workflow",
            extra={**keys, "problem": outcome.problem, "detail": outcome.detail},
        )
    elif outcome.result is FireResult.STARTED:
        metrics.add_metric(name=SCHEDULE_SLOTS_STARTED, unit=MetricUnit.Count, value=1)
        logger.info("schedule slot started", extra={**keys, "execution_id": outcome.execution_id})
    else:
        logger.info(
            "schedule slot not started", extra={**keys, "result": outcome.result.value, "detail": outcome.detail}
        )
    return {"result": outcome.result.value, "execution_id": outcome.execution_id, "problem": outcome.problem}
