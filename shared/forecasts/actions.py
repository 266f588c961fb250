"""The scheduled forecast actions (the ml_forecast_actions function, hourly): from every tenant's latest forecast,
record the quota warnings it predicts (once per tenant, quota and period), and from their sum, plan provisioned
concurrency for the platform's hot functions within the daily cost ceiling and write it as Application Auto Scaling
scheduled actions (shared/forecasts/scaling.py).

A hot function's concurrency in an hour is, by Little's law, the platform's executions in that hour times the
function's invocations per execution times its seconds per invocation, over 3,600: the point forecast from the sum of
the tenants' means, the interval's upper bound from the sum of their upper bounds (wider than the sum's own, so the
plan errs towards more environments).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from shared.catalog import CATALOG
from shared.forecasts.published import PublishedForecast, latest_forecast
from shared.forecasts.quota import predicted_quota_warnings, record_quota_warnings
from shared.forecasts.scaling import (
    ForecastSlot,
    ScalingSettings,
    plan_provisioned_concurrency,
    write_scheduled_levels,
)
from shared.resources import PREDICTIVE_SCALING
from shared.store.context import TenantContext
from shared.store.tenancy import Usage, list_tenant_records
from shared.tenancy.quotas import month_key
from shared.tenancy.tiers import tier_limits

_PAGE = 200


@dataclass(frozen=True)
class HotFunction:
    """A catalog function whose load follows the executions: its invocations per execution and seconds each."""

    name: str
    invocations_per_execution: float
    seconds_per_invocation: float


# PREDICTIVE_SCALING's functions, which every execution passes through (bench/predictive_scaling.py's durations):
# execution_events on each status change (started, ended).
HOT_FUNCTIONS = (HotFunction("execution_events", 2.0, 0.12),)


@dataclass(frozen=True)
class ActionsReport:
    tenants_forecast: int
    warnings_recorded: int
    scheduled_actions: dict[str, int]


def run_forecast_actions(bucket: str, function_prefix: str, max_cost_per_day: float, now: datetime) -> ActionsReport:
    """`function_prefix`: the hot functions' physical names are it and their catalog names (PREDICTIVE_SCALING)."""
    platform_mean: dict[datetime, float] = defaultdict(float)
    platform_upper: dict[datetime, float] = defaultdict(float)
    forecast, recorded = 0, 0
    # One job forecasts every tenant: its intervals' coverage is theirs.
    interval_level = ScalingSettings(0, 0.0).interval_level
    for tenant_id, tier in _tenants():
        published = latest_forecast(bucket, tenant_id)
        if published is None:
            continue
        forecast += 1
        interval_level = published.interval_level or interval_level
        tenant = TenantContext(tenant_id)
        month = Usage(tenant).get(month_key(now))
        so_far = int(month.executions or 0) if month is not None else 0
        warnings = predicted_quota_warnings(published, tier_limits(tier), so_far, now)
        recorded += len(record_quota_warnings(tenant_id, warnings, published.job_id))
        # Only slots whose rise (`lead` before them) is still ahead: Application Auto Scaling runs no past action.
        for timestamp, mean, upper in _executions_forecast(published, now + ScalingSettings(0, 0.0).lead):
            platform_mean[timestamp] += mean
            platform_upper[timestamp] += upper
    written = {}
    if platform_upper:
        for function in HOT_FUNCTIONS:
            settings = ScalingSettings(
                memory_mb=_memory_mb(function.name), max_cost_per_day=max_cost_per_day, interval_level=interval_level
            )
            seconds_per_execution = function.invocations_per_execution * function.seconds_per_invocation
            slots = [
                ForecastSlot(
                    start, platform_mean[start] * seconds_per_execution / 3600, upper * seconds_per_execution / 3600
                )
                for start, upper in sorted(platform_upper.items())
            ]
            plan = plan_provisioned_concurrency(slots, settings)
            physical_name = function_prefix + function.name.replace("_", "-")
            written[function.name] = write_scheduled_levels(physical_name, PREDICTIVE_SCALING.alias, plan, settings)
    return ActionsReport(tenants_forecast=forecast, warnings_recorded=recorded, scheduled_actions=written)


def _executions_forecast(published: PublishedForecast, after: datetime) -> Iterator[tuple[datetime, float, float]]:
    for metric in published.metrics:
        if metric.metric == "executions" and metric.workflow_id is None:
            yield from (
                (point.timestamp, max(point.mean, 0.0), max(point.upper, 0.0))
                for point in metric.points
                if point.timestamp > after
            )


def _memory_mb(name: str) -> int:
    return next(spec.memory_mb for spec in CATALOG if spec.name == name)


def _tenants() -> Iterator[tuple[str, str]]:
    cursor: str | None = None
    while True:
        items, cursor = list_tenant_records(limit=_PAGE, cursor=cursor)
        yield from ((item.tenant_id, item.tier) for item in items)
        if cursor is None:
            return
