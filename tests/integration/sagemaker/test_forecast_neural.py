"""The forecast job's GPU variant (`neural` 1): N-HiTS competes in the per-series choice and is kept only where it wins.

train.py runs with the agent-tuning job's Python (torch) reading the forecast job's packages (statsmodels, pandas) from
its environment: both session environments are reused, none is built for these tests. CPU here, a few epochs.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from devserver.workload_series import write_hourly_panel
from tests.integration.sagemaker.conftest import FORECAST_JOB

HYPERPARAMETERS = {"horizon": "24", "season_length": "24", "folds": "2", "neural": "1", "neural_epochs": "30"}


def _site_packages(python: Path) -> str:
    return next(str(folder) for folder in (python.parent.parent / "lib").glob("python*/site-packages"))


def _train(agent_tuning_python: Path, forecast_python: Path, root: Path) -> dict:
    (root / "model").mkdir()
    completed = subprocess.run(
        [str(agent_tuning_python), str(FORECAST_JOB / "train.py")],
        cwd=root,
        env={
            "PATH": os.environ["PATH"],
            "PYTHONPATH": _site_packages(forecast_python),
            "SM_MODEL_DIR": str(root / "model"),
            "SM_OUTPUT_DIR": str(root / "output"),
            "SM_CHANNEL_TRAIN": str(root / "train"),
            "SM_HPS": json.dumps(HYPERPARAMETERS),
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    model: dict = json.loads((root / "model" / "model.json").read_text())
    return model


def _write_exact_daily_cycle(path: Path, hours: int = 240) -> None:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["series", "timestamp", "value"])
        for hour in range(hours):
            writer.writerow(["repeating", (start + timedelta(hours=hour)).isoformat(), [5, 9, 40, 12][hour % 24 % 4]])


def test_the_neural_candidate_is_scored_on_every_series_and_not_chosen_where_seasonal_naive_is_exact(
    agent_tuning_python: Path, forecast_python: Path, tmp_path: Path
) -> None:
    write_hourly_panel(tmp_path / "train" / "panel.csv", hours=240)
    _write_exact_daily_cycle(tmp_path / "train" / "repeating.csv")

    model = _train(agent_tuning_python, forecast_python, tmp_path)

    assert set(model["series"]) == {"tenant-a", "tenant-b", "repeating"}
    for entry in model["series"].values():
        assert set(entry["validation_mase"]) == {"seasonal_naive", "auto_ets", "auto_theta", "nhits"}
        assert len(entry["forecast"]) == 24
        assert all(point["lower"] <= point["mean"] <= point["upper"] for point in entry["forecast"])
    repeating = model["series"]["repeating"]
    assert repeating["validation_mase"]["nhits"] > repeating["validation_mase"]["seasonal_naive"]
    assert repeating["model"] == "seasonal_naive"


def test_the_neural_forecast_is_the_same_on_every_run(
    agent_tuning_python: Path, forecast_python: Path, tmp_path: Path
) -> None:
    scores = []
    for run in ("first", "second"):
        (tmp_path / run / "train").mkdir(parents=True)
        _write_exact_daily_cycle(tmp_path / run / "train" / "repeating.csv")
        model = _train(agent_tuning_python, forecast_python, tmp_path / run)
        scores.append(model["series"]["repeating"]["validation_mase"]["nhits"])

    assert scores[0] == scores[1]
