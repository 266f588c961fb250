"""Predictive scaling against reactive scaling alone, simulated minute by minute over a two-week workload trace at the
platform's hot functions (execution_events, executions, webhooks).

The trace (seeded): each function's arrivals follow a daily cycle (business hours), a weekly one (quiet weekends), a
scheduled burst every day at 09:00 (a tenant's cron fan-out: 6x for 10 minutes) and unforeseeable bursts (3x for 5
minutes, twice a day at random). Concurrency needed in a minute is arrivals x duration / 60 (Little's law).

- Reactive alone: target tracking on provisioned concurrency utilisation (70%), the metric seen 3 minutes late as a
  5-minute mean, scale-out at once, scale-in after 15 minutes below; on-demand environments beyond it stay warm for
  10 minutes after use. A cold start is each environment needed beyond the provisioned and the warm ones.
- Predictive: the same, plus shared/forecasts/scaling.py's plan from a forecast of week 2 made from week 1 (seasonal
  naive per 10 minutes of the week, the upper bound of a 90% interval from week 1's robust spread), its rises applied
  as scheduled minimums 10 minutes ahead, its provisioned cost capped at half of reactive scaling's daily cost (not
  binding here; at 30% the cap cuts the plan to nothing useful).

Cost: provisioned GB-seconds at Lambda's provisioned price, invocation GB-seconds at its provisioned-duration price
when they run on provisioned environments and at the on-demand price otherwise (requests cost the same either way).
Scored on week 2 only. Targets: at least 50% fewer cold starts, at most 10% more cost.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from statistics import NormalDist

from shared.forecasts.scaling import (
    PROVISIONED_PRICE_PER_GB_SECOND,
    ForecastSlot,
    ScalingSettings,
    plan_provisioned_concurrency,
)

MINUTES_A_WEEK = 7 * 24 * 60
START = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday
ON_DEMAND_PRICE_PER_GB_SECOND = 0.0000166667
PROVISIONED_DURATION_PRICE_PER_GB_SECOND = 0.0000097222
TARGET_UTILISATION = 0.7
WARM_MINUTES = 10
SLOT_MINUTES = 10
COST_CEILING_SHARE = 0.5
TARGET_COLD_START_REDUCTION, TARGET_EXTRA_COST = 0.50, 0.10


@dataclass(frozen=True)
class HotFunction:
    name: str
    peak_per_second: float
    duration_seconds: float
    memory_mb: int


HOT_FUNCTIONS = (
    HotFunction("execution_events", 40.0, 0.12, 256),
    HotFunction("executions", 15.0, 0.25, 512),
    HotFunction("webhooks", 8.0, 0.3, 512),
)


def concurrency_trace(function: HotFunction, seed: int) -> list[int]:
    """Environments needed, minute by minute, over two weeks."""
    rng = random.Random(seed)
    bursts = {day * 1440 + rng.randrange(1440) for day in range(14) for _ in range(2)}
    needed = []
    for minute in range(2 * MINUTES_A_WEEK):
        day, minute_of_day = divmod(minute, 1440)
        hour = minute_of_day / 60
        daily = 0.15 + 0.85 * math.exp(-(((hour - 13) / 4) ** 2))
        weekly = 0.35 if day % 7 >= 5 else 1.0
        rate = function.peak_per_second * daily * weekly
        if 9 * 60 <= minute_of_day < 9 * 60 + 10:
            rate *= 6
        if any(0 <= minute - start < 5 for start in bursts):
            rate *= 3
        arrivals = _poisson(rng, rate * 60)
        needed.append(math.ceil(arrivals * function.duration_seconds / 60))
    return needed


def _poisson(rng: random.Random, mean: float) -> int:
    # Normal approximation: the means here are in the hundreds to thousands.
    return max(0, round(rng.gauss(mean, math.sqrt(mean))))


def slot_forecast(week_one: list[int]) -> list[ForecastSlot]:
    """Week 2's peak concurrency per SLOT_MINUTES: week 1's same slot (seasonal naive), its upper 90% bound from the
    spread of week 1's changes from the same slot of the day before."""
    slots = MINUTES_A_WEEK // SLOT_MINUTES
    per_day = 1440 // SLOT_MINUTES
    peaks = [max(week_one[slot * SLOT_MINUTES : (slot + 1) * SLOT_MINUTES]) for slot in range(slots)]
    residuals = [peaks[slot] - peaks[slot - per_day] for slot in range(per_day, slots)]
    # A robust spread (1.4826 median absolute changes): week 1's unforeseeable bursts would widen every slot's bound.
    spread = 1.4826 * sorted(abs(value) for value in residuals)[len(residuals) // 2]
    z = NormalDist().inv_cdf(0.95)
    return [
        ForecastSlot(START + timedelta(weeks=1, minutes=slot * SLOT_MINUTES), peaks[slot] + z * spread)
        for slot in range(slots)
    ]


@dataclass
class Outcome:
    cold_starts: int = 0
    cost: float = 0.0


def simulate(function: HotFunction, needed: list[int], scheduled: list[int] | None) -> Outcome:
    """Week 2 of the trace under target tracking, with scheduled minimums (per minute of week 2) if given."""
    gigabytes = function.memory_mb / 1024
    provisioned, below_since = 1, 0
    recent_on_demand: list[int] = []
    outcome = Outcome()
    for minute in range(MINUTES_A_WEEK, 2 * MINUTES_A_WEEK):
        seen = needed[minute - 8 : minute - 3]
        target = math.ceil(sum(seen) / len(seen) / TARGET_UTILISATION)
        if target > provisioned:
            provisioned, below_since = target, minute
        elif target >= provisioned:
            below_since = minute
        elif minute - below_since >= 15:
            provisioned, below_since = target, minute
        level = max(provisioned, scheduled[minute - MINUTES_A_WEEK]) if scheduled else provisioned
        on_demand = max(0, needed[minute] - level)
        warm = max(recent_on_demand[-WARM_MINUTES:], default=0)
        outcome.cold_starts += max(0, on_demand - warm)
        recent_on_demand.append(on_demand)
        busy = needed[minute] - on_demand
        outcome.cost += (
            60
            * gigabytes
            * (
                level * PROVISIONED_PRICE_PER_GB_SECOND
                + busy * PROVISIONED_DURATION_PRICE_PER_GB_SECOND
                + on_demand * ON_DEMAND_PRICE_PER_GB_SECOND
            )
        )
    return outcome


def scheduled_minimums(function: HotFunction, needed: list[int], reactive: Outcome) -> list[int]:
    settings = ScalingSettings(
        memory_mb=function.memory_mb,
        max_cost_per_day=COST_CEILING_SHARE * reactive.cost / 7,
        slot=timedelta(minutes=SLOT_MINUTES),
    )
    plan = plan_provisioned_concurrency(slot_forecast(needed[:MINUTES_A_WEEK]), settings)
    minimums = []
    for minute in range(MINUTES_A_WEEK):
        moment = START + timedelta(weeks=1, minutes=minute)
        applied = [level.min_capacity for level in plan if level.at <= moment]
        minimums.append(applied[-1] if applied else 0)
    return minimums


def main() -> None:
    print(f"{'function':<18}{'cold starts':>24}{'change':>9}{'cost USD / week':>26}{'change':>9}")
    totals = [Outcome(), Outcome()]
    for seed, function in enumerate(HOT_FUNCTIONS):
        needed = concurrency_trace(function, seed)
        reactive = simulate(function, needed, None)
        predictive = simulate(function, needed, scheduled_minimums(function, needed, reactive))
        for total, outcome in zip(totals, (reactive, predictive), strict=True):
            total.cold_starts += outcome.cold_starts
            total.cost += outcome.cost
        print(
            f"{function.name:<18}{reactive.cold_starts:>12,} -> {predictive.cold_starts:>8,}"
            f"{predictive.cold_starts / max(reactive.cold_starts, 1) - 1:>+9.0%}"
            f"{reactive.cost:>13.2f} -> {predictive.cost:>9.2f}{predictive.cost / reactive.cost - 1:>+9.1%}"
        )
    reactive, predictive = totals
    fewer = 1 - predictive.cold_starts / max(reactive.cold_starts, 1)
    extra = predictive.cost / reactive.cost - 1
    print(
        f"all: {fewer:.0%} fewer cold starts (target >= {TARGET_COLD_START_REDUCTION:.0%}) "
        f"{'OK' if fewer >= TARGET_COLD_START_REDUCTION else 'MISSED'}; {extra:+.1%} cost (target <= "
        f"{TARGET_EXTRA_COST:+.0%}) {'OK' if extra <= TARGET_EXTRA_COST else 'MISSED'}"
    )
