"""Predictive scaling against reactive scaling alone, simulated minute by minute over a two-week workload trace at the
platform's scaled hot functions (shared/resources.py's PREDICTIVE_SCALING: execution_events, node_http, node_agent;
the hot HTTP functions, executions and webhooks, keep SnapStart instead, which Lambda does not combine with
provisioned concurrency).

The trace (seeded) has a week of history before the two evaluated weeks. All three functions are driven by ONE
workload, the platform's workflow executions, as in production (execution_events on each run's status changes,
node_http and node_agent on its nodes) and as the forecast job sees it (it forecasts executions). Executions arrive
minute by minute at up to 20 a second at the daily peak, following a daily cycle (business hours), a weekly one (quiet
weekends), a scheduled burst every day at 09:00 (a tenant's cron fan-out, 6x for 10 minutes) and two unforeseeable 3x
bursts of 5 minutes a day at random minutes. Each function's invocations in a minute are Poisson around that minute's
executions times its invocations per execution, and the concurrency it needs is invocations x duration / 60 (Little's
law). Invocations per execution and durations are ml_forecast_actions' own (shared/forecasts/actions.py HOT_FUNCTIONS:
execution_events 2 of 0.12 s, node_http 1.5 of 0.4 s, node_agent 0.4 of 6 s), memory the catalog's.

- Reactive alone: target tracking on provisioned concurrency utilisation (70%), the metric seen 3 minutes late as a
  5-minute mean, scale-out at once, scale-in after 15 minutes below; on-demand environments beyond it stay warm for
  10 minutes after use. A cold start is each environment needed beyond the provisioned and the warm ones.
- Predictive: the same, plus shared/forecasts/scaling.py's plan from the forecast job's own model
  (sagemaker/forecast/train.py, run by its SageMaker contract in its own environment, as `forge dev` runs it): every
  night at midnight the job forecasts the next day of each function's peak concurrency per 10 minutes from everything
  before (144 steps, season 144, 3 folds, AutoETS / AutoTheta / seasonal naive chosen per series, 90% intervals).
  The quantile is chosen that night per function by `choose_quantile`, ml_forecast_actions' own code, on the
  job's held-out windows (its 3 cross-validation days, all before the night): no evaluated day informs its own plan.
  The plan raises scheduled minimums 10 minutes ahead, its provisioned cost capped at half of reactive scaling's daily
  cost in the history week. (Hourly slots, the platform's export, hold a 10-minute burst's level for the whole hour.)

Cost: provisioned GB-seconds at Lambda's provisioned price, invocation GB-seconds at its provisioned-duration price
when they run on provisioned environments and at the on-demand price otherwise (requests cost the same either way).
Scored on the two evaluated weeks. Targets: at least 50% fewer cold starts, at most 10% more cost.
"""

from __future__ import annotations

import json
import math
import os
import random
import subprocess
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from shared.forecasts.actions import HOT_FUNCTIONS, HotFunction, memory_mb
from shared.forecasts.scaling import (
    EXTRA_COST_BUDGET,
    ON_DEMAND_PRICE_PER_GB_SECOND,
    PROVISIONED_DURATION_PRICE_PER_GB_SECOND,
    PROVISIONED_PRICE_PER_GB_SECOND,
    ForecastSlot,
    HeldOutSlot,
    ScalingSettings,
    choose_quantile,
    plan_provisioned_concurrency,
)
from shared.resources import PREDICTIVE_SCALING

MINUTES_A_DAY = 1440
MINUTES_A_WEEK = 7 * MINUTES_A_DAY
HISTORY_DAYS, EVALUATED_DAYS = 7, 14
START = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday
TARGET_UTILISATION = PREDICTIVE_SCALING.target_utilisation
WARM_MINUTES = 10
SLOT_MINUTES = 10
SLOTS_A_DAY = MINUTES_A_DAY // SLOT_MINUTES
FORECAST_JOB = Path(__file__).resolve().parents[1] / "sagemaker" / "forecast"
COST_CEILING_SHARE = 0.5
TARGET_COLD_START_REDUCTION, TARGET_EXTRA_COST = 0.50, EXTRA_COST_BUDGET


PEAK_EXECUTIONS_PER_SECOND = 20.0
DAILY_BURST_FACTOR, DAILY_BURST_MINUTES = 6.0, 10
RANDOM_BURSTS_A_DAY, RANDOM_BURST_FACTOR, RANDOM_BURST_MINUTES = 2, 3.0, 5


@dataclass
class Night:
    """What the forecast job gave one night for one function: the next day's slots and its held-out windows."""

    forecast: list[ForecastSlot]
    held_out: list[HeldOutSlot]
    model: str


def executions_trace(seed: int) -> list[int]:
    """The platform's workflow executions started, minute by minute, over the history and the evaluated weeks."""
    rng = random.Random(seed)
    days = HISTORY_DAYS + EVALUATED_DAYS
    bursts = {
        day * MINUTES_A_DAY + rng.randrange(MINUTES_A_DAY) for day in range(days) for _ in range(RANDOM_BURSTS_A_DAY)
    }
    executions = []
    for minute in range(days * MINUTES_A_DAY):
        day, minute_of_day = divmod(minute, MINUTES_A_DAY)
        hour = minute_of_day / 60
        daily = 0.15 + 0.85 * math.exp(-(((hour - 13) / 4) ** 2))
        weekly = 0.35 if day % 7 >= 5 else 1.0
        rate = PEAK_EXECUTIONS_PER_SECOND * daily * weekly
        if 9 * 60 <= minute_of_day < 9 * 60 + DAILY_BURST_MINUTES:
            rate *= DAILY_BURST_FACTOR
        if any(0 <= minute - start < RANDOM_BURST_MINUTES for start in bursts):
            rate *= RANDOM_BURST_FACTOR
        executions.append(_poisson(rng, rate * 60))
    return executions


def concurrency_trace(function: HotFunction, executions: list[int], seed: int) -> list[int]:
    """Environments `function` needs, minute by minute, for those executions (its own Poisson noise on top)."""
    rng = random.Random(seed)
    return [
        math.ceil(_poisson(rng, started * function.invocations_per_execution) * function.seconds_per_invocation / 60)
        for started in executions
    ]


def _poisson(rng: random.Random, mean: float) -> int:
    # Normal approximation: the means here are in the tens to thousands.
    return max(0, round(rng.gauss(mean, math.sqrt(mean)))) if mean > 0 else 0


def _slot_peaks(needed: list[int], slots: int) -> list[int]:
    return [max(needed[slot * SLOT_MINUTES : (slot + 1) * SLOT_MINUTES]) for slot in range(slots)]


def nightly_forecasts(traces: dict[str, list[int]], python: Path) -> dict[str, list[Night]]:
    """Each evaluated day's peak concurrency per slot of each function, forecast the night before by the forecast job
    from all slots before that day (one run of train.py a night for every function's series)."""
    nights: dict[str, list[Night]] = {name: [] for name in traces}
    for day in range(EVALUATED_DAYS):
        known = (HISTORY_DAYS + day) * SLOTS_A_DAY
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
            nights[name].append(
                Night(
                    forecast=[
                        ForecastSlot(datetime.fromisoformat(point["timestamp"]), point["mean"], point["upper"])
                        for point in entry["forecast"]
                    ],
                    held_out=[
                        HeldOutSlot(
                            ForecastSlot(datetime.fromisoformat(point["timestamp"]), point["mean"], point["upper"]),
                            point["actual"],
                        )
                        for point in entry["validation"]
                    ],
                    model=entry["model"],
                )
            )
    return nights


@dataclass
class Outcome:
    cold_starts: int = 0
    cost: float = 0.0


def simulate(
    function: HotFunction, needed: list[int], scheduled: list[int] | None, first: int, minutes: int
) -> Outcome:
    """`minutes` of the trace from `first` under target tracking (within the target's minimum), with scheduled
    minimums (per minute of that span) if given."""
    gigabytes = memory_mb(function.name) / 1024
    provisioned, below_since = PREDICTIVE_SCALING.min_capacity, 0
    recent_on_demand: list[int] = []
    outcome = Outcome()
    # The trace's first minutes have no metric 3 to 8 minutes old.
    for minute in range(max(first, 8), first + minutes):
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


def scheduled_minimums(
    function: HotFunction, nights: list[Night], reactive_history: Outcome
) -> tuple[list[int], list[float]]:
    """The evaluated weeks' scheduled minimum per minute, each day planned the night before at the quantile chosen
    that night on the job's held-out windows; and the quantiles chosen."""
    minimums: list[int] = []
    quantiles = []
    for day, night in enumerate(nights):
        settings = ScalingSettings(
            memory_mb=memory_mb(function.name),
            max_cost_per_day=COST_CEILING_SHARE * reactive_history.cost / HISTORY_DAYS,
            slot=timedelta(minutes=SLOT_MINUTES),
        )
        quantile = choose_quantile(night.held_out, settings).quantile
        quantiles.append(quantile)
        plan = plan_provisioned_concurrency(night.forecast, replace(settings, quantile=quantile))
        for minute in range(MINUTES_A_DAY):
            moment = START + timedelta(days=HISTORY_DAYS + day, minutes=minute)
            applied = [level.min_capacity for level in plan if level.at <= moment]
            # Before the day's first action, the last level of the night before holds (the target's minimum at first).
            minimums.append(applied[-1] if applied else (minimums[-1] if minimums else PREDICTIVE_SCALING.min_capacity))
    return minimums, quantiles


def main() -> None:
    from devserver.sagemaker_training import JobEnvironments

    python = JobEnvironments().python(FORECAST_JOB / "requirements.txt")
    executions = executions_trace(seed=0)
    traces = {
        function.name: concurrency_trace(function, executions, seed)
        for seed, function in enumerate(HOT_FUNCTIONS, start=1)
    }
    started = time.perf_counter()
    nights = nightly_forecasts(traces, python)
    seconds = time.perf_counter() - started
    series = f"{len(HOT_FUNCTIONS)} series of {SLOT_MINUTES}-minute peaks"
    print(f"{EVALUATED_DAYS} nightly forecast jobs (train.py, {series}): {seconds:.0f} s")
    print(f"{'function':<18}{'cold starts':>24}{'change':>9}{'cost USD / 2 weeks':>28}{'change':>9}  quantiles chosen")
    totals = [Outcome(), Outcome()]
    history, evaluated = HISTORY_DAYS * MINUTES_A_DAY, EVALUATED_DAYS * MINUTES_A_DAY
    for function in HOT_FUNCTIONS:
        needed = traces[function.name]
        reactive = simulate(function, needed, None, history, evaluated)
        reactive_history = simulate(function, needed, None, 0, history)
        minimums, quantiles = scheduled_minimums(function, nights[function.name], reactive_history)
        predictive = simulate(function, needed, minimums, history, evaluated)
        for total, outcome in zip(totals, (reactive, predictive), strict=True):
            total.cold_starts += outcome.cold_starts
            total.cost += outcome.cost
        chosen = ", ".join(f"{quantile:.2f} x{count}" for quantile, count in sorted(Counter(quantiles).items()))
        models = ", ".join(sorted({night.model for night in nights[function.name]}))
        print(
            f"{function.name:<18}{reactive.cold_starts:>12,} -> {predictive.cold_starts:>8,}"
            f"{predictive.cold_starts / max(reactive.cold_starts, 1) - 1:>+9.0%}"
            f"{reactive.cost:>15.2f} -> {predictive.cost:>9.2f}{predictive.cost / reactive.cost - 1:>+9.1%}"
            f"  {chosen} (models: {models})"
        )
        _verdict(function.name, reactive, predictive)
    _verdict("all", *totals)
    print("executions, webhooks: not scheduled, their SnapStart alias addresses their cold starts (docs/forecasts.md)")


def _verdict(name: str, reactive: Outcome, predictive: Outcome) -> None:
    fewer = 1 - predictive.cold_starts / max(reactive.cold_starts, 1)
    extra = predictive.cost / reactive.cost - 1
    met = fewer >= TARGET_COLD_START_REDUCTION and extra <= TARGET_EXTRA_COST
    print(
        f"  {name}: {fewer:.0%} fewer cold starts (target >= {TARGET_COLD_START_REDUCTION:.0%}) "
        f"{'OK' if fewer >= TARGET_COLD_START_REDUCTION else 'MISSED'}; {extra:+.1%} cost (target <= "
        f"{TARGET_EXTRA_COST:+.0%}) {'OK' if extra <= TARGET_EXTRA_COST else 'MISSED'}: "
        f"target {'met' if met else 'NOT met'}"
    )
