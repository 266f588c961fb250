"""Quota warnings: when a tenant's latest forecast predicts it hits its tier's monthly execution quota or its
concurrent execution quota within the horizon.

Monthly executions: the month's count so far plus the forecast's mean executions of each hour still to come, the
count starting again at a new month. Concurrency: by Little's law, an hour's executions times their p95 duration,
from the upper bound of the executions' interval (a peak, not an average). A warning names its period (the month, or
the day for concurrency); the scheduled forecast actions record each one once per tenant, quota and period, with an
audit event and a warning in the function's log (docs/forecasts.md).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from pynamodb.exceptions import PutError

from shared.forecasts.published import MetricForecast, PublishedForecast, QuotaWarning
from shared.observability import logger
from shared.store.audit import AuditEvents
from shared.store.context import TenantContext
from shared.store.forecasts import QuotaWarnings
from shared.tenancy.tiers import TierLimits

AUDIT_ACTION = "forecast.quota_warning"
AUDIT_ACTOR = "forge:forecasts"


def predicted_quota_warnings(
    published: PublishedForecast, limits: TierLimits, executions_this_month: int, now: datetime
) -> list[QuotaWarning]:
    tenant_metrics = {metric.metric: metric for metric in published.metrics if metric.workflow_id is None}
    executions = tenant_metrics.get("executions")
    if executions is None:
        return []
    warnings = _monthly(executions, limits.monthly_executions, executions_this_month, now)
    durations = tenant_metrics.get("p95_duration_ms")
    if durations is not None:
        warnings += _concurrent(executions, durations, limits.concurrent_executions, now)
    return warnings


def _monthly(executions: MetricForecast, limit: int, so_far: int, now: datetime) -> list[QuotaWarning]:
    warnings: list[QuotaWarning] = []
    month, count = f"{now.astimezone(UTC):%Y-%m}", float(so_far)
    for point in executions.points:
        if point.timestamp <= now:
            continue
        point_month = f"{point.timestamp.astimezone(UTC):%Y-%m}"
        if point_month != month:
            month, count = point_month, 0.0
        count += max(point.mean, 0.0)
        if count >= limit and not any(warning.period == month for warning in warnings):
            warnings.append(
                QuotaWarning(
                    quota="monthly_executions", limit=limit, predicted=round(count), reached_at=point.timestamp,
                    period=month,
                )
            )  # fmt: skip
    return warnings


def _concurrent(executions: MetricForecast, durations: MetricForecast, limit: int, now: datetime) -> list[QuotaWarning]:
    p95_seconds = {point.timestamp: max(point.mean, 0.0) / 1000 for point in durations.points}
    for point in executions.points:
        if point.timestamp <= now or point.timestamp not in p95_seconds:
            continue
        concurrency = max(point.upper, 0.0) / 3600 * p95_seconds[point.timestamp]
        if concurrency >= limit:
            return [
                QuotaWarning(
                    quota="concurrent_executions",
                    limit=limit,
                    predicted=round(concurrency, 1),
                    reached_at=point.timestamp,
                    period=f"{point.timestamp.astimezone(UTC):%Y-%m-%d}",
                )
            ]
    return []


def record_quota_warnings(tenant_id: str, warnings: list[QuotaWarning], job_id: str) -> list[QuotaWarning]:
    """Records the warnings not recorded yet for their period, each with an audit event and a log warning; those."""
    tenant = TenantContext(tenant_id)
    repository, audit = QuotaWarnings(tenant), AuditEvents(tenant)
    recorded = []
    for warning in warnings:
        now = datetime.now(UTC)
        item = repository.new(
            f"{warning.period}#{warning.quota}",
            quota=warning.quota,
            period=warning.period,
            limit=warning.limit,
            predicted=warning.predicted,
            reached_at=warning.reached_at,
            job_id=job_id,
            recorded_at=now,
        )
        try:
            repository.create(item)
        except PutError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
            continue  # already warned about this quota in this period
        event_id = uuid.uuid4().hex
        audit.append(
            audit.new(
                f"{now.isoformat()}#{event_id}",
                event_id=event_id,
                actor=AUDIT_ACTOR,
                actor_method="schedule",
                action=AUDIT_ACTION,
                target=f"quotas/{warning.quota}/{warning.period}",
                status_code=200,
                occurred_at=now,
                request_id=job_id,
                source_ip=None,
            )
        )
        logger.warning(
            "Tenant predicted to hit its quota",
            extra={"tenant_id": tenant_id, **warning.model_dump(mode="json"), "job_id": job_id},
        )
        recorded.append(warning)
    return recorded
