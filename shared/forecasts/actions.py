"""The scheduled forecast actions (the ml_forecast_actions function, hourly): from every tenant's latest forecast,
record the quota warnings it predicts (once per tenant, quota and period), and from their sum, plan provisioned
concurrency for the platform's hot functions within the daily cost ceiling, at the quantile a backtest on the
forecasts' held-out windows chooses per function, and write it as Application Auto Scaling scheduled actions
(shared/forecasts/scaling.py).

A hot function's concurrency in an hour is, by Little's law, the platform's executions in that hour times the
function's invocations per execution times its seconds per invocation, over 3,600: the point forecast from the sum of
the tenants' means, the interval's upper bound from the sum of their upper bounds (wider than the sum's own, so the
plan errs towards more environments).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime

from shared.catalog import CATALOG
from shared.forecasts.published import PublishedForecast, latest_forecast
from shared.forecasts.quota import predicted_quota_warnings, record_quota_warnings
from shared.forecasts.scaling import (
    ForecastSlot,
    HeldOutSlot,
    ScalingSettings,
    choose_quantile,
    plan_provisioned_concurrency,
    write_scheduled_levels,
)
from shared.resources import PREDICTIVE_SCALING
from shared.store.context import TenantContext
from shared.store.tenancy import Usage, every_tenant
from shared.tenancy.quotas import month_key
from shared.tenancy.tiers import tier_limits


@dataclass(frozen=True)
class HotFunction:
    """A catalog function whose load follows the executions: its invocations per execution and seconds each."""

    name: str
    invocations_per_execution: float
    seconds_per_invocation: float


# PREDICTIVE_SCALING's functions and their load per execution (bench/predictive_scaling.py derives their traces too):
# execution_events on each status change (started, ended); node_http for the http_request nodes and HTTP tools of an
# average execution (assumed 1.5, each 0.4 s: a call to a tenant's API); node_agent for its agent turns (assumed 0.4,
# each 6 s: a model turn). The platform's forecast counts executions, not nodes: these ratios are assumptions.
HOT_FUNCTIONS = (
    HotFunction("execution_events", 2.0, 0.12),
    HotFunction("node_http", 1.5, 0.4),
    HotFunction("node_agent", 0.4, 6.0),
)


@dataclass(frozen=True)
class ActionsReport:
    tenants_forecast: int
    warnings_recorded: int
    scheduled_actions: dict[str, int]
    # The quantile each function's plan was made at, chosen by a backtest on the forecast's held-out windows.
    quantiles: dict[str, float] = field(default_factory=dict)


def run_forecast_actions(bucket: str, function_prefix: str, max_cost_per_day: float, now: datetime) -> ActionsReport:
    """`function_prefix`: the hot functions' physical names are it and their catalog names (PREDICTIVE_SCALING)."""
    platform = PlatformExecutions()
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
        platform.add(published, now + ScalingSettings(0, 0.0).lead)
    written, quantiles = {}, {}
    if platform.upper:
        for function in HOT_FUNCTIONS:
            settings = ScalingSettings(
                memory_mb=memory_mb(function.name), max_cost_per_day=max_cost_per_day, interval_level=interval_level
            )
            # Little's law: the function's concurrency is executions an hour times its seconds per execution / 3600.
            per_execution = function.invocations_per_execution * function.seconds_per_invocation / 3600
            held_out = [
                HeldOutSlot(ForecastSlot(start, mean * per_execution, upper * per_execution), actual * per_execution)
                for start, (actual, mean, upper) in sorted(platform.held_out.items())
            ]
            settings = replace(settings, quantile=choose_quantile(held_out, settings).quantile)
            slots = [
                ForecastSlot(start, platform.mean[start] * per_execution, upper * per_execution)
                for start, upper in sorted(platform.upper.items())
            ]
            plan = plan_provisioned_concurrency(slots, settings)
            physical_name = function_prefix + function.name.replace("_", "-")
            written[function.name] = write_scheduled_levels(physical_name, PREDICTIVE_SCALING.alias, plan, settings)
            quantiles[function.name] = settings.quantile
    return ActionsReport(
        tenants_forecast=forecast, warnings_recorded=recorded, scheduled_actions=written, quantiles=quantiles
    )


@dataclass
class PlatformExecutions:
    """The platform's executions an hour summed over the tenants' forecasts: the point forecasts and upper bounds
    ahead, and the held-out windows (what came, the forecast's mean and upper bound) the quantile is backtested on."""

    mean: dict[datetime, float] = field(default_factory=lambda: defaultdict(float))
    upper: dict[datetime, float] = field(default_factory=lambda: defaultdict(float))
    held_out: dict[datetime, tuple[float, float, float]] = field(default_factory=dict)

    def add(self, published: PublishedForecast, after: datetime) -> None:
        for timestamp, mean, upper in _executions_forecast(published, after):
            self.mean[timestamp] += mean
            self.upper[timestamp] += upper
        for validation in published.validations:
            if validation.metric == "executions" and validation.workflow_id is None:
                for point in validation.points:
                    actual, mean, upper = self.held_out.get(point.timestamp, (0.0, 0.0, 0.0))
                    self.held_out[point.timestamp] = (actual + point.actual, mean + point.mean, upper + point.upper)


def _executions_forecast(published: PublishedForecast, after: datetime) -> Iterator[tuple[datetime, float, float]]:
    for metric in published.metrics:
        if metric.metric == "executions" and metric.workflow_id is None:
            yield from (
                (point.timestamp, max(point.mean, 0.0), max(point.upper, 0.0))
                for point in metric.points
                if point.timestamp > after
            )


def memory_mb(name: str) -> int:
    """The catalog's memory of a function."""
    return next(spec.memory_mb for spec in CATALOG if spec.name == name)


def _tenants() -> Iterator[tuple[str, str]]:
    return ((str(item.tenant_id), str(item.tier)) for item in every_tenant())
