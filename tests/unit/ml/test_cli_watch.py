"""`forge ml jobs watch`: follows a job's percent until it ends; exit 0 only when it succeeded."""

from __future__ import annotations

import io
from typing import Any

import pytest
from click.testing import CliRunner
from rich.console import Console

from cli import ml
from cli.app import Invocation
from cli.main import forge


class ScriptedJobs:
    """GET /v1/ml/jobs/{id} answering one scripted state after another."""

    def __init__(self, states: list[dict[str, Any]]) -> None:
        self.states = states
        self.reads = 0

    def get(self, path: str, **_: Any) -> dict[str, Any]:
        state = self.states[min(self.reads, len(self.states) - 1)]
        self.reads += 1
        return {"job_id": "ml-1", "cost_usd": 0.01, "training_status": "InProgress/Training", **state}


def _watch(monkeypatch: pytest.MonkeyPatch, states: list[dict[str, Any]], *flags: str) -> tuple[int, str, int]:
    jobs = ScriptedJobs(states)
    monkeypatch.setattr(Invocation, "client", lambda self: jobs)
    monkeypatch.setattr(ml, "WATCH_POLL_SECONDS", 0)
    result = CliRunner().invoke(forge, ["ml", "jobs", "watch", "ml-1", *flags])
    return result.exit_code, result.output, jobs.reads


def test_watch_follows_the_percent_until_the_job_succeeds(monkeypatch: pytest.MonkeyPatch) -> None:
    states = [
        {"status": "running", "progress_percent": 25.0},
        {"status": "running", "progress_percent": 75.0},
        {"status": "succeeded", "progress_percent": 100.0},
    ]
    exit_code, output, reads = _watch(monkeypatch, states)
    assert exit_code == 0
    assert reads == 3
    assert "100.0%" in output
    assert "ml-1 succeeded" in output


def test_watch_exits_1_when_the_model_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    states = [
        {"status": "running", "progress_percent": 50.0},
        {"status": "rejected", "progress_percent": 100.0, "error": "Ml.ModelRejected", "cause": "worse"},
    ]
    exit_code, output, _ = _watch(monkeypatch, states)
    assert exit_code == 1
    assert "ml-1 rejected: Ml.ModelRejected worse" in output


def test_a_job_that_ended_before_the_watch_is_drawn_at_its_end_only(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = io.StringIO()
    monkeypatch.setattr(ml, "console", Console(file=terminal, force_terminal=True, width=100))

    exit_code, _, reads = _watch(monkeypatch, [{"status": "succeeded", "progress_percent": 100.0}])

    assert (exit_code, reads) == (0, 1)
    drawn = terminal.getvalue()
    assert "100.0%" in drawn
    assert "0.0%" not in drawn.replace("100.0%", "")
