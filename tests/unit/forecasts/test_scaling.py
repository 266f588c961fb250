"""Predictive scaling's plan: provisioned concurrency raised ahead of forecast peaks at the median of each slot's
predictive distribution, within the target's minimum and its daily cost ceiling, written as Application Auto Scaling
scheduled actions."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from moto import mock_aws

from shared.aws.application_autoscaling import (
    DIMENSION,
    NAMESPACE,
    register_provisioned_concurrency,
    resource_id,
    scheduled_actions,
)
from shared.aws.clients import application_autoscaling_client
from shared.forecasts.scaling import (
    EXTRA_COST_BUDGET,
    ForecastSlot,
    HeldOutSlot,
    ScalingSettings,
    choose_quantile,
    cost_per_day,
    plan_provisioned_concurrency,
    write_scheduled_levels,
)

START = datetime(2026, 12, 7, tzinfo=UTC)


def _day(peak_hour: int, peak: float, quiet: float = 2.0, spread: float = 0.0) -> list[ForecastSlot]:
    """A day of hourly slots: the point forecast, and an upper bound `spread` above it."""
    return [
        ForecastSlot(START + timedelta(hours=hour), mean, mean + spread)
        for hour, mean in enumerate(peak if hour == peak_hour else quiet for hour in range(24))
    ]


def test_a_forecast_peak_is_provisioned_ahead_of_its_hour_and_let_go_when_it_ends() -> None:
    settings = ScalingSettings(memory_mb=512, max_cost_per_day=100.0, lead=timedelta(minutes=10))

    plan = plan_provisioned_concurrency(_day(9, 20.0), settings)

    assert [(level.at.strftime("%H:%M"), level.min_capacity) for level in plan] == [
        ("23:50", 2),
        ("08:50", 20),
        ("10:00", 2),
    ]


def test_a_wide_interval_is_not_paid_for_in_every_slot_at_the_median() -> None:
    # Every slot's 90% interval reaches 12 environments above its point forecast.
    forecast = _day(9, 20.0, spread=12.0)

    median = plan_provisioned_concurrency(forecast, ScalingSettings(memory_mb=512, max_cost_per_day=100.0))
    upper = plan_provisioned_concurrency(
        forecast, ScalingSettings(memory_mb=512, max_cost_per_day=100.0, quantile=0.95)
    )

    assert [level.min_capacity for level in median] == [2, 20, 2]
    # The 95% quantile is the 90% interval's upper bound.
    assert [level.min_capacity for level in upper] == [14, 32, 14]


def test_quiet_slots_keep_the_targets_minimum_of_one_environment() -> None:
    plan = plan_provisioned_concurrency(_day(9, 3.0, quiet=0.0), ScalingSettings(memory_mb=256, max_cost_per_day=9.0))

    assert [level.min_capacity for level in plan] == [1, 3, 1]


def test_on_a_synthetic_day_the_plan_covers_the_forecast_burst_within_the_ceiling() -> None:
    # A daily cycle peaking at 13:00 and a 09:00 burst; the actual peaks are the forecast's, off by one either way.
    means = [2 + 8 * math.exp(-(((hour - 13) / 4) ** 2)) + (30 if hour == 9 else 0) for hour in range(24)]
    forecast = [ForecastSlot(START + timedelta(hours=hour), mean, mean * 1.5) for hour, mean in enumerate(means)]
    actual = [round(mean) + (1 if hour % 2 else -1) for hour, mean in enumerate(means)]
    settings = ScalingSettings(memory_mb=256, max_cost_per_day=1.0)

    plan = plan_provisioned_concurrency(forecast, settings)

    hourly = [
        [level.min_capacity for level in plan if level.at <= START + timedelta(hours=hour)][-1] for hour in range(24)
    ]
    # Held from 08:50, the burst's point forecast; the reactive target tracking covers an environment more.
    assert hourly[9] == math.ceil(means[9]) == max(hourly)
    assert all(level >= peak - 1 for level, peak in zip(hourly, actual, strict=True))
    assert cost_per_day(hourly, settings) <= settings.max_cost_per_day


def test_a_plan_over_its_daily_cost_ceiling_is_cut_at_its_peaks_first() -> None:
    # Uncut: 10 for 23 hours and 200 for the peak's; the ceiling is 70% of that day's cost.
    ceiling = 0.7 * cost_per_day([10] * 23 + [200], ScalingSettings(memory_mb=1024, max_cost_per_day=0.0))
    capped = ScalingSettings(memory_mb=1024, max_cost_per_day=ceiling)

    plan = plan_provisioned_concurrency(_day(9, 200.0, quiet=10.0), capped)

    levels = {level.min_capacity for level in plan}
    assert 10 in levels and 60 < max(levels) < 200
    hourly = [10] * 9 + [max(levels)] + [10] * 14
    assert cost_per_day(hourly, capped) <= ceiling


def test_the_plan_is_written_as_one_time_scheduled_actions_on_the_alias() -> None:
    settings = ScalingSettings(memory_mb=512, max_cost_per_day=100.0)
    plan = plan_provisioned_concurrency(_day(9, 20.0), settings)

    with mock_aws():
        written = write_scheduled_levels("nexus-forge-execution-events", "live", plan, settings)
        actions = scheduled_actions("nexus-forge-execution-events", "live")

    assert written == 3
    assert sorted(action["Schedule"] for action in actions) == [
        "at(2026-12-06T23:50:00)",
        "at(2026-12-07T08:50:00)",
        "at(2026-12-07T10:00:00)",
    ]
    assert {action["ScalableTargetAction"]["MinCapacity"] for action in actions} == {2, 20}


def test_writing_a_plan_keeps_the_stacks_target_and_the_minimum_a_scheduled_action_raised() -> None:
    settings = ScalingSettings(memory_mb=512, max_cost_per_day=100.0)
    with mock_aws():
        client = application_autoscaling_client()
        # The CDK app's target, whose minimum an earlier plan's action has raised to 12 for the current hour.
        client.register_scalable_target(
            ServiceNamespace=NAMESPACE,
            ResourceId=resource_id("nexus-forge-execution-events", "live"),
            ScalableDimension=DIMENSION,
            MinCapacity=12,
            MaxCapacity=200,
        )

        write_scheduled_levels(
            "nexus-forge-execution-events", "live", plan_provisioned_concurrency(_day(9, 20.0), settings), settings
        )
        register_provisioned_concurrency("nexus-forge-execution-events", "live", min_capacity=1, max_capacity=200)
        (target,) = client.describe_scalable_targets(ServiceNamespace=NAMESPACE)["ScalableTargets"]

    assert (target["MinCapacity"], target["MaxCapacity"]) == (12, 200)


def _held_out(*pattern: tuple[float, float, float], hours: int = 48) -> list[HeldOutSlot]:
    """Consecutive hours a forecast job held out, repeating `pattern`: each hour forecast at a mean with its 90%
    interval to an upper bound, and the concurrency that came."""
    return [
        HeldOutSlot(ForecastSlot(START - timedelta(hours=hours - hour), mean, upper), actual)
        for hour, (mean, upper, actual) in enumerate(pattern[hour % len(pattern)] for hour in range(hours))
    ]


def test_the_backtest_raises_the_quantile_where_the_median_left_environments_short_within_the_budget() -> None:
    # Quiet hours (2) between peaks forecast at 10 with a spread of 2 environments (the 90% interval 3.29 wide) where
    # 12 came: target tracking, a slot late, has 3 at each peak; the median plan leaves 2 short, the 60% quantile
    # (10.5, so 11) 1, the 70% quantile (11.05, so 12) none.
    settings = ScalingSettings(memory_mb=512, max_cost_per_day=100.0)

    choice = choose_quantile(_held_out((2.0, 2.0, 2.0), (10.0, 13.29, 12.0)), settings)

    assert choice.quantile == 0.7
    by_quantile = {backtest.quantile: backtest for backtest in choice.backtests}
    assert (by_quantile[0.5].shortfall, by_quantile[0.6].shortfall, by_quantile[0.7].shortfall) == (48, 24, 0)
    assert by_quantile[0.7].extra_cost <= EXTRA_COST_BUDGET


def test_a_forecast_that_over_predicts_keeps_the_median_since_no_quantile_stays_within_the_budget() -> None:
    # Ten environments forecast, two came: every plan pays for seven more than target tracking's three.
    settings = ScalingSettings(memory_mb=512, max_cost_per_day=100.0)

    choice = choose_quantile(_held_out((10.0, 13.29, 2.0)), settings)

    assert choice.quantile == 0.5
    assert all(backtest.extra_cost > EXTRA_COST_BUDGET for backtest in choice.backtests)


def test_without_held_out_windows_the_plan_stays_at_the_median() -> None:
    choice = choose_quantile([], ScalingSettings(memory_mb=512, max_cost_per_day=100.0))

    assert (choice.quantile, choice.backtests) == (0.5, ())
