"""What follows an applied status change, wherever it came from (an EventBridge event, or the result of a
synchronous express start, which emits no event): running slots back, EMF metrics per tenant and workflow, and the
error workflow of a failure."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from shared.executions.running_slots import release_running_slot
from shared.executions.status import AppliedChange, error_workflow_input, needs_error_workflow
from shared.executions.statuses import ExecutionStatus, Trigger
from shared.problems import ProblemError
from shared.settings import get_settings
from shared.store.executions import ExecutionItem
from shared.store.tenant_scoped import TenantContext

# The EMF metrics the dashboard and alarms read (infra/constructs/execution_dashboard.py), in namespace NexusForge
# with three dimension sets: (tenant_id, workflow_id) per workflow, (tenant_id) per tenant, (stage) platform-wide.
STARTED = "ExecutionsStarted"
ENDED = "ExecutionsEnded"
FAILED = "ExecutionsFailed"
DURATION = "ExecutionDuration"


def settle_change(change: AppliedChange, metrics: Metrics, logger: Logger) -> None:
    record = change.record
    metrics.add_dimension("tenant_id", change.tenant.tenant_id)
    metrics.add_dimension("workflow_id", str(record.workflow_id))
    metrics.add_dimensions(tenant_id=change.tenant.tenant_id)
    metrics.add_dimensions(stage=get_settings().stage)
    status = ExecutionStatus(record.status)
    if status is ExecutionStatus.RUNNING and int(record.revision) == 1:
        metrics.add_metric(name=STARTED, unit=MetricUnit.Count, value=1)
    if change.ended:
        release_running_slot(change.tenant, str(record.workflow_id) if record.workflow_slot else None)
        metrics.add_metric(name=ENDED, unit=MetricUnit.Count, value=1)
        metrics.add_metric(name=FAILED, unit=MetricUnit.Count, value=0 if status is ExecutionStatus.SUCCEEDED else 1)
        if record.duration_ms is not None:
            metrics.add_metric(name=DURATION, unit=MetricUnit.Milliseconds, value=float(record.duration_ms))
    if needs_error_workflow(change):
        _start_error_workflow(change.tenant, record, logger)


def _start_error_workflow(tenant: TenantContext, record: ExecutionItem, logger: Logger) -> None:
    # Imported here: only a failure with an error workflow starts an execution, and loading the start path (payload
    # store, quotas, tiers, targets) at import would cost every cold start of execution_events about 15 ms. The
    # first error workflow of a container pays it (bench/cold_start.py, first invocation).
    from shared.executions.start import StartRequest, start_execution

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
