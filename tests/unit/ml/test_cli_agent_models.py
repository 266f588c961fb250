"""`forge agent-models wait`: follows a model through training and deploying; exit 0 only when it is served."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner

from cli import ml
from cli.app import Invocation
from cli.main import forge

ENDPOINT = "nexus-forge-local-tm-0123456789ab-a1b2c3d4"


class ScriptedModels:
    """GET /v1/agent-models/{id} answering one scripted state after another."""

    def __init__(self, states: list[dict[str, Any]]) -> None:
        self.states = states
        self.reads = 0

    def get(self, path: str, **_: Any) -> dict[str, Any]:
        state = self.states[min(self.reads, len(self.states) - 1)]
        self.reads += 1
        return {"model_id": "a1b2c3d4", "cost_usd": 0.0, "training_status": None, "endpoint_name": ENDPOINT, **state}


def _wait(monkeypatch: pytest.MonkeyPatch, states: list[dict[str, Any]], *flags: str) -> tuple[int, str, int]:
    models = ScriptedModels(states)
    monkeypatch.setattr(Invocation, "client", lambda self: models)
    monkeypatch.setattr(ml, "WATCH_POLL_SECONDS", 0)
    result = CliRunner().invoke(forge, ["agent-models", "wait", "a1b2c3d4", *flags])
    return result.exit_code, result.output, models.reads


def test_wait_follows_training_and_deploying_and_quiet_prints_the_endpoint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    states = [
        {"status": "training", "progress_percent": 40.0},
        {"status": "deploying", "progress_percent": 100.0},
        {"status": "ready", "progress_percent": 100.0},
    ]
    exit_code, output, reads = _wait(monkeypatch, states)
    quiet_exit, quiet_output, _ = _wait(monkeypatch, states, "--quiet")

    assert (exit_code, reads) == (0, 3)
    assert f"a1b2c3d4 ready: agent node model {{provider: sagemaker, model_id: {ENDPOINT}}}" in output
    assert (quiet_exit, quiet_output) == (0, f"{ENDPOINT}\n")


def test_wait_exits_1_when_the_model_is_refused_by_the_gate(monkeypatch: pytest.MonkeyPatch) -> None:
    states = [
        {"status": "training", "progress_percent": 50.0},
        {"status": "rejected", "progress_percent": 100.0, "error": "Ml.ModelRejected", "cause": "loss 2.5 is worse"},
    ]
    exit_code, output, _ = _wait(monkeypatch, states)

    assert exit_code == 1
    assert "a1b2c3d4 rejected: Ml.ModelRejected loss 2.5 is worse" in output
