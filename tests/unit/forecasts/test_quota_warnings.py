"""The quota hits a forecast predicts: the month's executions counted on from today's total and again from zero in a
new month, and concurrency by Little's law from the upper bound of the executions and their p95 duration."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shared.forecasts.published import ForecastPoint, MetricForecast, PublishedForecast
from shared.forecasts.quota import predicted_quota_warnings
from shared.tenancy.tiers import Tier, tier_limits

NOW = datetime(2026, 12, 31, 20, 30, tzinfo=UTC)
BASIC = tier_limits(Tier.BASIC)  # 10,000 executions a month, 10 at once


def _metric(metric: str, means: list[float], spread: float = 1.0) -> MetricForecast:
    start = NOW.replace(minute=0) + timedelta(hours=1)
    points = [
        ForecastPoint(timestamp=start + timedelta(hours=h), mean=m, lower=m / spread, upper=m * spread)
        for h, m in enumerate(means)
    ]
    return MetricForecast(
        metric=metric, workflow_id=None, model="auto_ets", mase=0.7, seasonal_naive_mase=1.0, points=points
    )


def _forecast(*metrics: MetricForecast) -> PublishedForecast:
    return PublishedForecast(job_id="ml-1", written_at=NOW, interval_level=0.9, metrics=list(metrics))


def test_the_month_reached_from_its_count_so_far_and_the_next_month_counted_from_zero() -> None:
    # 21:00, 22:00 and 23:00 left in December, then a quiet January.
    executions = _metric("executions", [600.0] * 3 + [100.0] * 27)

    warnings = predicted_quota_warnings(_forecast(executions), BASIC, 8_500, NOW)

    assert [(w.quota, w.period, w.reached_at.hour, w.predicted) for w in warnings] == [
        ("monthly_executions", "2026-12", 23, 10_300),
    ]
    january = predicted_quota_warnings(_forecast(_metric("executions", [600.0] * 30)), BASIC, 0, NOW)
    assert [(w.period, w.reached_at.day, w.reached_at.hour) for w in january] == [("2027-01", 1, 16)]


def test_concurrency_from_the_upper_bound_of_executions_times_their_p95_duration() -> None:
    # 9,000 an hour at the upper bound (1.5 x 6,000), 4 s each: 10 at once, the basic tier's limit, at 23:00 only.
    executions = _metric("executions", [100.0, 100.0, 6_000.0], spread=1.5)
    durations = _metric("p95_duration_ms", [4_000.0] * 3)

    warnings = predicted_quota_warnings(_forecast(executions, durations), tier_limits(Tier.ENTERPRISE), 0, NOW)
    basic = predicted_quota_warnings(_forecast(executions, durations), BASIC, 0, NOW)

    assert warnings == []
    assert [(w.quota, w.limit, w.predicted, w.period) for w in basic if w.quota == "concurrent_executions"] == [
        ("concurrent_executions", 10, 10.0, "2026-12-31")
    ]
