"""Schedules fire when Scheduler would: rates from their start, cron in the tenant's zone across DST changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import islice, pairwise

import pytest

from shared.triggers.schedules.expressions import InvalidSchedule, Schedule


def _take(schedule: Schedule, after: datetime, count: int) -> list[datetime]:
    return list(islice(schedule.fire_times(after), count))


def test_a_rate_fires_the_expected_number_of_times_over_a_window() -> None:
    start = datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
    schedule = Schedule("rate(15 minutes)", start=start)
    window_end = start + timedelta(hours=6)
    fired = [
        moment for moment in islice(schedule.fire_times(start - timedelta(seconds=1)), 1000) if moment < window_end
    ]
    assert len(fired) == 24
    assert fired[0] == start
    assert all(later - earlier == timedelta(minutes=15) for earlier, later in pairwise(fired))


def test_a_rate_resumes_on_its_grid_after_a_gap() -> None:
    start = datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
    schedule = Schedule("rate(1 hour)", start=start)
    assert _take(schedule, datetime(2026, 1, 1, 5, 30, tzinfo=UTC), 1) == [datetime(2026, 1, 1, 6, 0, tzinfo=UTC)]


def test_cron_uses_the_tenant_time_zone() -> None:
    schedule = Schedule("cron(0 9 ? * MON-FRI *)", timezone="Europe/Berlin")
    fired = _take(schedule, datetime(2026, 1, 2, 12, 0, tzinfo=UTC), 2)  # Friday noon UTC
    assert fired == [datetime(2026, 1, 5, 8, 0, tzinfo=UTC), datetime(2026, 1, 6, 8, 0, tzinfo=UTC)]


def test_cron_keeps_local_time_across_a_dst_change() -> None:
    schedule = Schedule("cron(0 9 * * ? *)", timezone="America/New_York")
    fired = _take(schedule, datetime(2026, 3, 7, 0, 0, tzinfo=UTC), 3)  # clocks go forward on 8 March 2026
    assert [moment.hour for moment in fired] == [14, 13, 13]


def test_a_cron_time_skipped_by_spring_forward_does_not_fire() -> None:
    schedule = Schedule("cron(30 2 * * ? *)", timezone="America/New_York")
    fired = _take(schedule, datetime(2026, 3, 7, 0, 0, tzinfo=UTC), 2)
    assert [moment.date().isoformat() for moment in fired] == ["2026-03-07", "2026-03-09"]


def test_a_cron_time_repeated_by_fall_back_fires_once() -> None:
    schedule = Schedule("cron(30 1 * * ? *)", timezone="America/New_York")
    fired = _take(schedule, datetime(2026, 10, 31, 12, 0, tzinfo=UTC), 3)  # clocks go back on 1 November 2026
    assert [moment.date().isoformat() for moment in fired] == ["2026-11-01", "2026-11-02", "2026-11-03"]
    assert fired[0] == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)


def test_aws_day_numbers_start_at_sunday_one() -> None:
    schedule = Schedule("cron(0 12 ? * 2 *)")  # 2 = Monday in AWS
    (fired,) = _take(schedule, datetime(2026, 1, 1, tzinfo=UTC), 1)
    assert fired.strftime("%A") == "Monday"


def test_the_year_field_and_the_end_date_bound_a_schedule() -> None:
    in_2026 = Schedule("cron(0 0 1 * ? 2026)")
    assert len(list(in_2026.fire_times(datetime(2026, 1, 1, tzinfo=UTC)))) == 11
    ended = Schedule("rate(1 day)", start=datetime(2026, 1, 1, tzinfo=UTC), end=datetime(2026, 1, 3, tzinfo=UTC))
    assert len(list(ended.fire_times(datetime(2025, 12, 31, tzinfo=UTC)))) == 3


def test_at_fires_once_in_its_zone() -> None:
    schedule = Schedule("at(2026-07-01T09:00:00)", timezone="Asia/Tokyo")
    assert list(schedule.fire_times(datetime(2026, 1, 1, tzinfo=UTC))) == [datetime(2026, 7, 1, 0, 0, tzinfo=UTC)]


@pytest.mark.parametrize(
    ("expression", "timezone", "reason"),
    [
        ("every 5 minutes", "UTC", "a schedule is"),
        ("cron(0 9 * * *)", "UTC", "6 fields"),
        ("cron(0 9 * * MON *)", "UTC", "exactly one"),
        ("cron(0 25 * * ? *)", "UTC", "not valid"),
        ("cron(0 9 ? * 8 *)", "UTC", "outside 1-7"),
        ("rate(5 minutes)", "Mars/Olympus", "time zone"),
        ("at(2026-13-01T09:00:00)", "UTC", "not a date and time"),
        ("at(2026-02-30T09:00:00)", "UTC", "not a date and time"),
        ("at(2026-01-01T24:00:00)", "UTC", "not a date and time"),
    ],
)
def test_invalid_schedules_say_what_is_wrong(expression: str, timezone: str, reason: str) -> None:
    with pytest.raises(InvalidSchedule, match=reason):
        Schedule(expression, timezone=timezone)
