"""What follows an applied status change, wherever it came from (an EventBridge event, or the result of a
synchronous express start, which emits no event): EMF metrics per tenant and workflow, the waiters of the end in
this process woken (shared/executions/end_signals.py). The error
workflow of a failure is started by the caller (shared/executions/error_workflows.py's start_error_workflow). The
running slots came back with the end itself (shared/executions/record.py). A standard run's start is recorded by its
starter, which emits its metric (`settle_start`).

Each change's metrics are one EMF document of their own, with exactly the dimension sets shared/metrics.py names:
Powertools adds the function's `service` (POWERTOOLS_SERVICE_NAME, set on every function in the cloud) to the first
set of any document it writes for the function, which would make the per-workflow set (tenant_id, workflow_id,
service) and leave the dashboard's per-workflow queries (`SCHEMA("NexusForge", tenant_id, workflow_id)`) matching
nothing."""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider

from shared.executions.end_signals import signal_end
from shared.executions.record import AppliedChange
from shared.executions.statuses import ExecutionStatus
from shared.metrics import (
    EXECUTION_DIMENSION_SETS,
    EXECUTION_DURATION,
    EXECUTIONS_ENDED,
    EXECUTIONS_FAILED,
    EXECUTIONS_STARTED,
    STAGE_DIMENSION,
    TENANT_DIMENSION,
    WORKFLOW_DIMENSION,
)
from shared.settings import get_settings
from shared.store.executions import ExecutionItem
from shared.store.tenant_scoped import TenantContext


def settle_change(change: AppliedChange) -> None:
    """The end's waiters woken, then the change's metrics written."""
    if change.ended:
        signal_end(change.tenant, change.record)
    metrics = _execution_metrics()
    _add_metrics(change, metrics)
    if metrics.metric_set:
        metrics.flush_metrics()


def settle_start(tenant: TenantContext, record: ExecutionItem) -> None:
    """A standard run started (its starter wrote the record RUNNING, and StartExecution succeeded): the started metric
    of `settle_change`."""
    settle_change(AppliedChange(tenant, record, ended=False, started=True))


def _execution_metrics() -> AmazonCloudWatchEMFProvider:
    """Metrics of their own: no `service` dimension, and their own sets (Powertools' `Metrics` objects share one set,
    and a change may be settled by a function whose handler holds metrics of its own, or by one of several request
    threads)."""
    return AmazonCloudWatchEMFProvider(service="")


def _add_metrics(change: AppliedChange, metrics: AmazonCloudWatchEMFProvider) -> None:
    record = change.record
    values = {
        TENANT_DIMENSION: change.tenant.tenant_id,
        WORKFLOW_DIMENSION: str(record.workflow_id),
        STAGE_DIMENSION: get_settings().stage,
    }
    # Per workflow, per tenant, platform-wide: the first set is the document's own, the others are added to it.
    first, *others = EXECUTION_DIMENSION_SETS
    for name in first:
        metrics.add_dimension(name, values[name])
    for names in others:
        metrics.add_dimensions(**{name: values[name] for name in names})
    status = ExecutionStatus(record.status)
    if change.started:
        metrics.add_metric(name=EXECUTIONS_STARTED, unit=MetricUnit.Count, value=1)
    if change.ended:
        metrics.add_metric(name=EXECUTIONS_ENDED, unit=MetricUnit.Count, value=1)
        metrics.add_metric(
            name=EXECUTIONS_FAILED, unit=MetricUnit.Count, value=0 if status is ExecutionStatus.SUCCEEDED else 1
        )
        if record.duration_ms is not None:
            metrics.add_metric(name=EXECUTION_DURATION, unit=MetricUnit.Milliseconds, value=float(record.duration_ms))
