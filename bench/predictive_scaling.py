"""Predictive scaling against reactive scaling alone, simulated minute by minute over a two-week workload trace at the
platform's scaled hot functions (shared/resources.py's PREDICTIVE_SCALING: execution_events; the hot HTTP functions,
executions and webhooks, keep SnapStart instead, which Lambda does not combine with provisioned concurrency).

The trace (seeded): each function's arrivals follow a daily cycle (business hours), a weekly one (quiet weekends), a
scheduled burst every day at 09:00 (a tenant's cron fan-out: 6x for 10 minutes) and unforeseeable bursts (3x for 5
minutes, twice a day at random). Concurrency needed in a minute is arrivals x duration / 60 (Little's law).

- Reactive alone: target tracking on provisioned concurrency utilisation (70%), the metric seen 3 minutes late as a
  5-minute mean, scale-out at once, scale-in after 15 minutes below; on-demand environments beyond it stay warm for
  10 minutes after use. A cold start is each environment needed beyond the provisioned and the warm ones.
- Predictive: the same, plus shared/forecasts/scaling.py's plan from the forecast job's own model
  (sagemaker/forecast/train.py, run by its SageMaker contract in its own environment, as `forge dev` runs it): every
  night at midnight the job forecasts the next day of each function's peak concurrency per 10 minutes from everything
  before (144 steps, season 144, 3 folds, AutoETS / AutoTheta / seasonal naive chosen per series, 90% intervals);
  the plan, with ml_forecast_actions' settings (the median of each slot's predictive distribution), raises scheduled
  minimums 10 minutes ahead, its provisioned cost capped at half of reactive scaling's daily cost in week 1.
  (Hourly slots, the platform's export, hold a 10-minute burst's level for the whole hour.)

Cost: provisioned GB-seconds at Lambda's provisioned price, invocation GB-seconds at its provisioned-duration price
when they run on provisioned environments and at the on-demand price otherwise (requests cost the same either way).
Scored on week 2 only. Targets: at least 50% fewer cold starts, at most 10% more cost.
"""

from __future__ import annotations

import json
import math
import os
import random
import subprocess
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from shared.forecasts.scaling import (
    PROVISIONED_PRICE_PER_GB_SECOND,
    ForecastSlot,
    ScalingSettings,
    plan_provisioned_concurrency,
)
from shared.resources import PREDICTIVE_SCALING

MINUTES_A_WEEK = 7 * 24 * 60
START = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday
ON_DEMAND_PRICE_PER_GB_SECOND = 0.0000166667
PROVISIONED_DURATION_PRICE_PER_GB_SECOND = 0.0000097222
TARGET_UTILISATION = PREDICTIVE_SCALING.target_utilisation
WARM_MINUTES = 10
SLOT_MINUTES = 10
SLOTS_A_DAY = 1440 // SLOT_MINUTES
FORECAST_JOB = Path(__file__).resolve().parents[1] / "sagemaker" / "forecast"
# The model the job chose for each function's series, night by night.
CHOSEN: dict[str, list[str]] = defaultdict(list)
COST_CEILING_SHARE = 0.5
TARGET_COLD_START_REDUCTION, TARGET_EXTRA_COST = 0.50, 0.10


@dataclass(frozen=True)
class HotFunction:
    name: str
    peak_per_second: float
    duration_seconds: float
    memory_mb: int


HOT_FUNCTIONS = (HotFunction("execution_events", 40.0, 0.12, 256),)


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


def _slot_peaks(needed: list[int], slots: int) -> list[int]:
    return [max(needed[slot * SLOT_MINUTES : (slot + 1) * SLOT_MINUTES]) for slot in range(slots)]


def nightly_forecasts(traces: dict[str, list[int]], python: Path) -> dict[str, list[ForecastSlot]]:
    """Week 2's peak concurrency per slot of each function, forecast day by day by the forecast job from all slots
    before that day (one run of train.py a night for every function's series)."""
    slots: dict[str, list[ForecastSlot]] = {name: [] for name in traces}
    for day in range(7):
        known = (7 + day) * SLOTS_A_DAY
        with tempfile.TemporaryDirectory() as temporary:
            folder = Path(temporary)
            (folder / "train").mkdir()
            (folder / "model").mkdir()
            lines = ["series,timestamp,value"] + [
                f"{name},{(START + timedelta(minutes=slot * SLOT_MINUTES)).isoformat()},{peak}"
                for name, needed in traces.items()
                for slot, peak in enumerate(_slot_peaks(needed, known))
            ]
            (folder / "train" / "series.csv").write_text("\n".join(lines) + "\n")
            subprocess.run(
                [str(python), str(FORECAST_JOB / "train.py")],
                check=True,
                capture_output=True,
                env={
                    **os.environ,
                    "SM_CHANNEL_TRAIN": str(folder / "train"),
                    "SM_MODEL_DIR": str(folder / "model"),
                    "SM_OUTPUT_DIR": str(folder / "output"),
                    "SM_HPS": json.dumps(
                        {"horizon": SLOTS_A_DAY, "season_length": SLOTS_A_DAY, "folds": 3, "interval_level": 0.9}
                    ),
                },
            )
            model = json.loads((folder / "model" / "model.json").read_text())
        for name, entry in model["series"].items():
            CHOSEN[name].append(entry["model"])
            slots[name] += [
                ForecastSlot(datetime.fromisoformat(point["timestamp"]), point["mean"], point["upper"])
                for point in entry["forecast"]
            ]
    return slots


@dataclass
class Outcome:
    cold_starts: int = 0
    cost: float = 0.0


def simulate(function: HotFunction, needed: list[int], scheduled: list[int] | None, week: int = 1) -> Outcome:
    """A week of the trace under target tracking (within the target's minimum), with scheduled minimums (per minute of
    that week) if given."""
    gigabytes = function.memory_mb / 1024
    provisioned, below_since = PREDICTIVE_SCALING.min_capacity, 0
    recent_on_demand: list[int] = []
    outcome = Outcome()
    first = week * MINUTES_A_WEEK
    # The trace's first minutes have no metric 3 to 8 minutes old.
    for minute in range(max(first, 8), first + MINUTES_A_WEEK):
        seen = needed[minute - 8 : minute - 3]
        target = max(PREDICTIVE_SCALING.min_capacity, math.ceil(sum(seen) / len(seen) / TARGET_UTILISATION))
        if target > provisioned:
            provisioned, below_since = target, minute
        elif target >= provisioned:
            below_since = minute
        elif minute - below_since >= 15:
            provisioned, below_since = target, minute
        level = max(provisioned, scheduled[minute - first]) if scheduled else provisioned
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


def scheduled_minimums(function: HotFunction, forecast: list[ForecastSlot], reactive_week_1: Outcome) -> list[int]:
    settings = ScalingSettings(
        memory_mb=function.memory_mb,
        max_cost_per_day=COST_CEILING_SHARE * reactive_week_1.cost / 7,
        slot=timedelta(minutes=SLOT_MINUTES),
    )
    plan = plan_provisioned_concurrency(forecast, settings)
    minimums = []
    for minute in range(MINUTES_A_WEEK):
        moment = START + timedelta(weeks=1, minutes=minute)
        applied = [level.min_capacity for level in plan if level.at <= moment]
        minimums.append(applied[-1] if applied else 0)
    return minimums


def main() -> None:
    from devserver.sagemaker_training import JobEnvironments

    python = JobEnvironments().python(FORECAST_JOB / "requirements.txt")
    traces = {function.name: concurrency_trace(function, seed) for seed, function in enumerate(HOT_FUNCTIONS)}
    started = time.perf_counter()
    forecasts = nightly_forecasts(traces, python)
    seconds = time.perf_counter() - started
    series = f"{len(HOT_FUNCTIONS)} series of {SLOT_MINUTES}-minute peaks"
    print(f"7 nightly forecast jobs (train.py, {series}): {seconds:.0f} s")
    print(f"{'function':<18}{'cold starts':>24}{'change':>9}{'cost USD / week':>26}{'change':>9}")
    totals = [Outcome(), Outcome()]
    for function in HOT_FUNCTIONS:
        needed = traces[function.name]
        reactive = simulate(function, needed, None)
        week_1 = simulate(function, needed, None, week=0)
        predictive = simulate(function, needed, scheduled_minimums(function, forecasts[function.name], week_1))
        for total, outcome in zip(totals, (reactive, predictive), strict=True):
            total.cold_starts += outcome.cold_starts
            total.cost += outcome.cost
        print(
            f"{function.name:<18}{reactive.cold_starts:>12,} -> {predictive.cold_starts:>8,}"
            f"{predictive.cold_starts / max(reactive.cold_starts, 1) - 1:>+9.0%}"
            f"{reactive.cost:>13.2f} -> {predictive.cost:>9.2f}{predictive.cost / reactive.cost - 1:>+9.1%}"
            f"  models: {', '.join(sorted(set(CHOSEN[function.name])))}"
        )
    reactive, predictive = totals
    fewer = 1 - predictive.cold_starts / max(reactive.cold_starts, 1)
    extra = predictive.cost / reactive.cost - 1
    met = fewer >= TARGET_COLD_START_REDUCTION and extra <= TARGET_EXTRA_COST
    print(
        f"all: {fewer:.0%} fewer cold starts (target >= {TARGET_COLD_START_REDUCTION:.0%}) "
        f"{'OK' if fewer >= TARGET_COLD_START_REDUCTION else 'MISSED'}; {extra:+.1%} cost (target <= "
        f"{TARGET_EXTRA_COST:+.0%}) {'OK' if extra <= TARGET_EXTRA_COST else 'MISSED'}: "
        f"target {'met' if met else 'NOT met'}"
    )
    print("executions, webhooks: not scheduled, their SnapStart alias addresses their cold starts (docs/forecasts.md)")
