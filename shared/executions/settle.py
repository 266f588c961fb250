"""What follows an applied status change, wherever it came from (an EventBridge event, or the result of a
synchronous express start, which emits no event): EMF metrics per tenant and workflow, the waiters of the end in
this process woken (shared/executions/end_signals.py). The error
workflow of a failure is started by the caller (shared/executions/error_workflows.py's start_error_workflow). The
running slots came back with the end itself (shared/executions/record.py). A standard run's start is recorded by its
starter, which emits its metric (`settle_start`)."""

from __future__ import annotations

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider

from shared.executions.end_signals import signal_end
from shared.executions.record import AppliedChange
from shared.executions.statuses import ExecutionStatus
from shared.metrics import (
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


def settle_change(change: AppliedChange, metrics: Metrics) -> None:
    record = change.record
    # The three dimension sets of shared/metrics.py: per workflow, per tenant, platform-wide.
    metrics.add_dimension(TENANT_DIMENSION, change.tenant.tenant_id)
    metrics.add_dimension(WORKFLOW_DIMENSION, str(record.workflow_id))
    metrics.add_dimensions(**{TENANT_DIMENSION: change.tenant.tenant_id})
    metrics.add_dimensions(**{STAGE_DIMENSION: get_settings().stage})
    status = ExecutionStatus(record.status)
    if change.started:
        metrics.add_metric(name=EXECUTIONS_STARTED, unit=MetricUnit.Count, value=1)
    if change.ended:
        signal_end(change.tenant, record)
        metrics.add_metric(name=EXECUTIONS_ENDED, unit=MetricUnit.Count, value=1)
        metrics.add_metric(
            name=EXECUTIONS_FAILED, unit=MetricUnit.Count, value=0 if status is ExecutionStatus.SUCCEEDED else 1
        )
        if record.duration_ms is not None:
            metrics.add_metric(name=EXECUTION_DURATION, unit=MetricUnit.Milliseconds, value=float(record.duration_ms))


def settle_start(tenant: TenantContext, record: ExecutionItem) -> None:
    """A standard run started (its starter wrote the record RUNNING, and StartExecution succeeded): the started metric
    of `settle_change`, written at once as an EMF document of its own. Its own metric set: Powertools shares one set
    among its `Metrics` objects, and a starter may be a function whose handler holds metrics of its own
    (execution_events starting the error workflow of an end it has not flushed yet), or one of several request
    threads."""
    started = Metrics(
        provider=AmazonCloudWatchEMFProvider(metric_set={}, dimension_set={}, metadata_set={}, default_dimensions={})
    )
    settle_change(AppliedChange(tenant, record, ended=False, started=True), started)
    started.flush_metrics()
