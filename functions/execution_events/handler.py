"""Step Functions status changes (EventBridge) → the execution record, the running slot, metrics, error workflow."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.executions.model import ExecutionStatus, Trigger
from shared.executions.start import StartRequest, release_running_slot, start_execution
from shared.executions.status import apply_status_change, error_workflow_input, needs_error_workflow
from shared.problems import ProblemError
from shared.store.executions import ExecutionItem
from shared.store.tenant_scoped import TenantContext

logger = Logger()
metrics = Metrics()


@logger.inject_lambda_context
@metrics.log_metrics
@event_source(data_class=EventBridgeEvent)
def handler(event: EventBridgeEvent, context: LambdaContext) -> dict[str, Any]:
    change = apply_status_change(dict(event.detail))
    if change is None:
        return {"applied": False}
    record = change.record
    logger.append_keys(tenant_id=change.tenant.tenant_id, workflow_id=record.workflow_id, execution_id=record.sk)
    metrics.add_dimension("tenant_id", change.tenant.tenant_id)
    metrics.add_dimension("workflow_id", str(record.workflow_id))
    status = ExecutionStatus(record.status)
    if status is ExecutionStatus.RUNNING and int(record.revision) == 1:
        metrics.add_metric(name="ExecutionsStarted", unit=MetricUnit.Count, value=1)
    if change.ended:
        release_running_slot(change.tenant)
        metrics.add_metric(name="ExecutionsEnded", unit=MetricUnit.Count, value=1)
        metrics.add_metric(
            name="ExecutionsFailed", unit=MetricUnit.Count, value=0 if status is ExecutionStatus.SUCCEEDED else 1
        )
        if record.duration_ms is not None:
            metrics.add_metric(name="ExecutionDuration", unit=MetricUnit.Milliseconds, value=float(record.duration_ms))
    if needs_error_workflow(change):
        _start_error_workflow(change.tenant, record)
    return {"applied": True, "status": status.value}


def _start_error_workflow(tenant: TenantContext, record: ExecutionItem) -> None:
    try:
        started = start_execution(
            tenant,
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
