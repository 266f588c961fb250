"""What follows an applied status change, wherever it came from (an EventBridge event, or the result of a
synchronous express start, which emits no event): running slots back, EMF metrics per tenant and workflow. The error
workflow of a failure is started by the caller (shared/executions/start.py's start_error_workflow)."""

from __future__ import annotations

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

from shared.executions.running_slots import release_running_slot
from shared.executions.status import AppliedChange
from shared.executions.statuses import ExecutionStatus
from shared.settings import get_settings

# The EMF metrics the dashboard and alarms read (infra/constructs/execution_dashboard.py), in namespace NexusForge
# with three dimension sets: (tenant_id, workflow_id) per workflow, (tenant_id) per tenant, (stage) platform-wide.
STARTED = "ExecutionsStarted"
ENDED = "ExecutionsEnded"
FAILED = "ExecutionsFailed"
DURATION = "ExecutionDuration"


def settle_change(change: AppliedChange, metrics: Metrics) -> None:
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
