"""Predictive scaling's plan: provisioned concurrency raised ahead of forecast peaks, within its daily cost ceiling,
written as Application Auto Scaling scheduled actions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from moto import mock_aws

from shared.aws.application_autoscaling import scheduled_actions
from shared.forecasts.scaling import (
    ForecastSlot,
    ScalingSettings,
    cost_per_day,
    plan_provisioned_concurrency,
    write_scheduled_levels,
)

START = datetime(2026, 12, 7, tzinfo=UTC)


def _day(peak_hour: int, peak: float, quiet: float = 2.0) -> list[ForecastSlot]:
    return [ForecastSlot(START + timedelta(hours=hour), peak if hour == peak_hour else quiet) for hour in range(24)]


def test_a_forecast_peak_is_provisioned_ahead_of_its_hour_and_let_go_when_it_ends() -> None:
    settings = ScalingSettings(memory_mb=512, max_cost_per_day=100.0, headroom=1.1, lead=timedelta(minutes=10))

    plan = plan_provisioned_concurrency(_day(9, 20.0), settings)

    assert [(level.at.strftime("%H:%M"), level.min_capacity) for level in plan] == [
        ("23:50", 3),
        ("08:50", 22),
        ("10:00", 3),
    ]


def test_a_plan_over_its_daily_cost_ceiling_is_cut_at_its_peaks_first() -> None:
    # Uncut: 11 for 23 hours and 220 for the peak's; the ceiling is 70% of that day's cost.
    ceiling = 0.7 * cost_per_day([11] * 23 + [220], ScalingSettings(memory_mb=1024, max_cost_per_day=0.0))
    capped = ScalingSettings(memory_mb=1024, max_cost_per_day=ceiling)

    plan = plan_provisioned_concurrency(_day(9, 200.0, quiet=10.0), capped)

    levels = {level.min_capacity for level in plan}
    assert 11 in levels and 60 < max(levels) < 220
    hourly = [11] * 9 + [max(levels)] + [11] * 14
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
    assert {action["ScalableTargetAction"]["MinCapacity"] for action in actions} == {3, 22}
