"""Predictive scaling: provisioned concurrency for a hot function, scheduled ahead of its forecast peaks.

From a forecast of the function's peak concurrency per slot (`slot`: an hour for the forecast job's hourly series,
sagemaker/forecast/; shorter where a finer series is forecast), each slot gets a provisioned concurrency level: the
`quantile` of the slot's predictive distribution (normal, from the point forecast and its interval's upper bound),
at least the target's minimum, raised `lead` before the slot starts (provisioned environments take a minute or two
to initialise). The median, the point forecast, is the default: the 90% upper bound made every slot pay for the
forecast's spread, and the ceiling then cut the bursts first (docs/forecasts.md). Reactive target tracking stays in
place: Application Auto Scaling applies the larger of a scheduled minimum and what target tracking asks. The plan is
capped so that its provisioned concurrency costs at most `max_cost_per_day` (USD) on any day: the levels above a
common cap are cut, the cap found by bisection, so the cut falls on the highest slots' excess first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import NormalDist

from shared.aws.application_autoscaling import put_scheduled_minimum, register_provisioned_concurrency
from shared.resources import PREDICTIVE_SCALING

# Lambda's provisioned concurrency price, us-east-1, x86, per GB-second provisioned (AWS's Lambda pricing page,
# read 2026-12-05).
PROVISIONED_PRICE_PER_GB_SECOND = 0.0000041667


@dataclass(frozen=True)
class ForecastSlot:
    """A slot of the forecast: its start, the point forecast of the function's peak concurrency in it and the upper
    bound of its interval (at ScalingSettings.interval_level)."""

    start: datetime
    mean: float
    upper: float


@dataclass(frozen=True)
class ScalingSettings:
    memory_mb: int
    max_cost_per_day: float
    quantile: float = 0.5
    interval_level: float = 0.9
    slot: timedelta = timedelta(hours=1)
    lead: timedelta = timedelta(minutes=10)
    min_capacity: int = PREDICTIVE_SCALING.min_capacity
    max_concurrency: int = PREDICTIVE_SCALING.max_capacity

    def demand(self, slot: ForecastSlot) -> float:
        """The slot's concurrency at `quantile` of its predictive distribution."""
        normal = NormalDist()
        spread = max(slot.upper - slot.mean, 0.0) / normal.inv_cdf(0.5 + self.interval_level / 2)
        return max(slot.mean + normal.inv_cdf(self.quantile) * spread, 0.0)


@dataclass(frozen=True)
class ScheduledLevel:
    """From `at` on, at least `min_capacity` provisioned environments (a scheduled action's ScalableTargetAction)."""

    at: datetime
    min_capacity: int


def _levels(forecast: list[ForecastSlot], settings: ScalingSettings, cap: float) -> list[int]:
    return [
        max(settings.min_capacity, min(math.ceil(settings.demand(slot)), settings.max_concurrency, math.floor(cap)))
        for slot in forecast
    ]


def cost_per_day(levels: list[int], settings: ScalingSettings) -> float:
    """The highest daily cost of the slots' levels of provisioned concurrency."""
    seconds = settings.slot.total_seconds()
    per_day = round(86400 / seconds)
    gigabytes = settings.memory_mb / 1024
    days = [levels[day : day + per_day] for day in range(0, len(levels), per_day)]
    return max((sum(day) * seconds * gigabytes * PROVISIONED_PRICE_PER_GB_SECOND for day in days), default=0.0)


def plan_provisioned_concurrency(forecast: list[ForecastSlot], settings: ScalingSettings) -> list[ScheduledLevel]:
    """The scheduled levels, one per change of level (a rise `lead` before its slot); within the daily cost ceiling."""
    low, high = 0.0, float(settings.max_concurrency)
    if cost_per_day(_levels(forecast, settings, high), settings) > settings.max_cost_per_day:
        for _ in range(40):
            middle = (low + high) / 2
            within = cost_per_day(_levels(forecast, settings, middle), settings) <= settings.max_cost_per_day
            low, high = (middle, high) if within else (low, middle)
        high = low
    plan: list[ScheduledLevel] = []
    for slot, level in zip(forecast, _levels(forecast, settings, high), strict=True):
        if not plan or plan[-1].min_capacity != level:
            # Up `lead` early, down only when the slot begins: the level before it holds to its slot's end.
            rising = not plan or level > plan[-1].min_capacity
            plan.append(ScheduledLevel(slot.start - settings.lead if rising else slot.start, level))
    return plan


def write_scheduled_levels(
    function_name: str, alias: str, plan: list[ScheduledLevel], settings: ScalingSettings
) -> int:
    """Writes the plan as one-time scheduled actions named by their time (writing it again replaces them); the count.
    The target is the CDK app's (infra/constructs/provisioned_concurrency.py); it is registered here only where it is
    missing (the emulation), since registering again would reset a minimum a scheduled action raised."""
    register_provisioned_concurrency(
        function_name, alias, min_capacity=settings.min_capacity, max_capacity=settings.max_concurrency
    )
    for level in plan:
        put_scheduled_minimum(
            function_name,
            alias,
            f"forge-predictive-{level.at:%Y%m%dT%H%M}",
            level.at,
            min_capacity=level.min_capacity,
            max_capacity=settings.max_concurrency,
        )
    return len(plan)
