"""`forge forecasts get`: each series' model and MASE beside seasonal naive's, its first hours with intervals, the
quota warnings; a tenant without a forecast is told so."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner

from cli.app import Invocation
from cli.main import forge

FORECAST = {
    "available": True,
    "detail": "Forecast by job ml-7",
    "job_id": "ml-7",
    "forecast_at": "2026-12-06T03:10:00Z",
    "interval_level": 0.9,
    "horizon_hours": 24,
    "metrics": [
        {
            "metric": "executions",
            "workflow_id": "wf-orders",
            "model": "auto_theta",
            "mase": 0.61,
            "seasonal_naive_mase": 1.02,
            "points": [{"timestamp": "2026-12-06T04:00:00Z", "mean": 12.0, "lower": 9.5, "upper": 14.25}],
        }
    ],
    "quota_warnings": [
        {"quota": "monthly_executions", "limit": 10000, "reached_at": "2026-12-07T09:00:00Z", "predicted": 10010}
    ],
}


class Answers:
    def __init__(self, answer: dict[str, Any]) -> None:
        self.answer = answer
        self.asked: list[tuple[str, dict[str, Any]]] = []

    def get(self, path: str, **query: Any) -> dict[str, Any]:
        self.asked.append((path, query))
        return self.answer


def _get(monkeypatch: pytest.MonkeyPatch, answer: dict[str, Any], *arguments: str) -> tuple[str, Answers]:
    answers = Answers(answer)
    monkeypatch.setattr(Invocation, "client", lambda self: answers)
    result = CliRunner().invoke(forge, ["forecasts", "get", *arguments], terminal_width=200)
    assert result.exit_code == 0, result.output
    return result.output, answers


def test_a_workflows_forecast_shows_model_mase_intervals_and_quota_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    output, answers = _get(monkeypatch, FORECAST, "--workflow", "wf-orders", "--horizon", "24")

    assert answers.asked == [("/v1/forecasts", {"horizon": 24, "workflow_id": "wf-orders"})]
    assert "auto_theta" in output and "0.61" in output and "1.02" in output
    assert "90% interval" in output and "9.50 .. 14.25" in output
    assert "monthly_executions (10000) reached at 2026-12-07T09:00:00Z" in output


def test_a_tenant_without_a_forecast_is_told_so(monkeypatch: pytest.MonkeyPatch) -> None:
    none_yet = {
        **FORECAST,
        "available": False,
        "detail": "No forecast yet: the nightly job has not run",
        "job_id": None,
    }

    output, _ = _get(monkeypatch, none_yet)

    assert "No forecast yet" in output
