"""Predictive scaling: provisioned concurrency for a hot function, scheduled ahead of its forecast peaks.

From a forecast of the function's peak concurrency per slot (`slot`: an hour for the forecast job's hourly series,
sagemaker/forecast/; shorter where a finer series is forecast), each slot gets a provisioned concurrency level: the
`quantile` of the slot's predictive distribution (normal, from the point forecast and its interval's upper bound),
at least the target's minimum, raised `lead` before the slot starts (provisioned environments take a minute or two
to initialise). The quantile is chosen per function by `choose_quantile`: each candidate's plan replayed over the
windows the forecast job held out in cross-validation (forecast from the data before them), the fewest environments
short of what came under target tracking, within 10% extra cost; the median, the point forecast, when there is
nothing to backtest (a fixed 90% upper bound made every slot pay for the forecast's spread: docs/forecasts.md).
Reactive target tracking stays in place: Application Auto Scaling applies the larger of a scheduled minimum and what
target tracking asks. The plan is capped so that its provisioned concurrency costs at most `max_cost_per_day` (USD)
on any day: the levels above a common cap are cut, the cap found by bisection, so the cut falls on the highest slots'
excess first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from statistics import NormalDist

from shared.aws.application_autoscaling import put_scheduled_minimum, register_provisioned_concurrency
from shared.resources import PREDICTIVE_SCALING

# Lambda's prices, us-east-1, x86, per GB-second (AWS's Lambda pricing page, read 2026-12-05): provisioned
# concurrency, the duration of an invocation on a provisioned environment, and on an on-demand one.
PROVISIONED_PRICE_PER_GB_SECOND = 0.0000041667
PROVISIONED_DURATION_PRICE_PER_GB_SECOND = 0.0000097222
ON_DEMAND_PRICE_PER_GB_SECOND = 0.0000166667
# The quantiles the backtest chooses among, and the extra cost a choice may add over target tracking alone on the
# held-out slots (the bar: at most 10% more).
QUANTILE_CANDIDATES = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95)
EXTRA_COST_BUDGET = 0.10


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
    # Rounded before the ceiling: a product of rates must not make 5 environments into 6.
    return [
        max(
            settings.min_capacity,
            min(math.ceil(round(settings.demand(slot), 6)), settings.max_concurrency, math.floor(cap)),
        )
        for slot in forecast
    ]


def cost_per_day(levels: list[int], settings: ScalingSettings) -> float:
    """The highest daily cost of the slots' levels of provisioned concurrency."""
    seconds = settings.slot.total_seconds()
    per_day = round(86400 / seconds)
    gigabytes = settings.memory_mb / 1024
    days = [levels[day : day + per_day] for day in range(0, len(levels), per_day)]
    return max((sum(day) * seconds * gigabytes * PROVISIONED_PRICE_PER_GB_SECOND for day in days), default=0.0)


def capped_levels(forecast: list[ForecastSlot], settings: ScalingSettings) -> list[int]:
    """Each slot's level, the highest ones cut to a common cap that keeps every day within the cost ceiling."""
    low, high = 0.0, float(settings.max_concurrency)
    if cost_per_day(_levels(forecast, settings, high), settings) > settings.max_cost_per_day:
        for _ in range(40):
            middle = (low + high) / 2
            within = cost_per_day(_levels(forecast, settings, middle), settings) <= settings.max_cost_per_day
            low, high = (middle, high) if within else (low, middle)
        high = low
    return _levels(forecast, settings, high)


def plan_provisioned_concurrency(forecast: list[ForecastSlot], settings: ScalingSettings) -> list[ScheduledLevel]:
    """The scheduled levels, one per change of level (a rise `lead` before its slot); within the daily cost ceiling."""
    plan: list[ScheduledLevel] = []
    for slot, level in zip(forecast, capped_levels(forecast, settings), strict=True):
        if not plan or plan[-1].min_capacity != level:
            # Up `lead` early, down only when the slot begins: the level before it holds to its slot's end.
            rising = not plan or level > plan[-1].min_capacity
            plan.append(ScheduledLevel(slot.start - settings.lead if rising else slot.start, level))
    return plan


@dataclass(frozen=True)
class HeldOutSlot:
    """A slot the forecast job held out in cross-validation: its forecast from the data before it, and the concurrency
    that came."""

    forecast: ForecastSlot
    actual: float


@dataclass(frozen=True)
class Backtest:
    """A quantile's plan replayed over held-out slots under the target tracking that stays in place: environments
    short of what came (each a cold start), and its cost over target tracking alone (provisioned, provisioned
    duration, on-demand)."""

    quantile: float
    shortfall: float
    extra_cost: float


@dataclass(frozen=True)
class QuantileChoice:
    quantile: float
    backtests: tuple[Backtest, ...]


def backtest_quantile(held_out: list[HeldOutSlot], settings: ScalingSettings) -> Backtest:
    """`settings.quantile`'s plan (capped as the live plan is) over consecutive held-out slots. Target tracking is
    replayed a slot late (each slot provisioned for the one before at the target utilisation), as the larger of it and
    the plan is what Application Auto Scaling applies; each slot's concurrency is taken as busy for the whole slot."""
    # Whole environments, rounded first as the levels are.
    needed = [math.ceil(round(slot.actual, 6)) for slot in held_out]
    tracked = [
        max(settings.min_capacity, math.ceil(round(before / PREDICTIVE_SCALING.target_utilisation, 6)))
        for before in needed[:1] + needed[:-1]
    ]
    planned = [
        max(level, tracking)
        for level, tracking in zip(capped_levels([slot.forecast for slot in held_out], settings), tracked, strict=True)
    ]
    gigabyte_seconds = settings.slot.total_seconds() * settings.memory_mb / 1024

    def cost(levels: list[int]) -> float:
        return gigabyte_seconds * sum(
            level * PROVISIONED_PRICE_PER_GB_SECOND
            + min(actual, level) * PROVISIONED_DURATION_PRICE_PER_GB_SECOND
            + max(actual - level, 0) * ON_DEMAND_PRICE_PER_GB_SECOND
            for level, actual in zip(levels, needed, strict=True)
        )

    baseline = cost(tracked)
    return Backtest(
        quantile=settings.quantile,
        shortfall=sum(max(actual - level, 0) for level, actual in zip(planned, needed, strict=True)),
        extra_cost=cost(planned) / baseline - 1 if baseline > 0 else 0.0,
    )


def choose_quantile(
    held_out: list[HeldOutSlot],
    settings: ScalingSettings,
    candidates: tuple[float, ...] = QUANTILE_CANDIDATES,
    extra_cost_budget: float = EXTRA_COST_BUDGET,
) -> QuantileChoice:
    """The candidate whose backtest leaves the fewest environments short within the extra cost budget (the lower
    quantile on a tie); `settings.quantile` when nothing is held out or no candidate stays within the budget. Only
    data the forecast itself held out is used: never the slots the plan is for."""
    backtests = tuple(
        backtest_quantile(held_out, replace(settings, quantile=quantile)) for quantile in candidates if held_out
    )
    within = [backtest for backtest in backtests if backtest.extra_cost <= extra_cost_budget]
    if not within:
        return QuantileChoice(settings.quantile, backtests)
    best = min(within, key=lambda backtest: (backtest.shortfall, backtest.quantile))
    return QuantileChoice(best.quantile, backtests)


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
