"""sagemaker/forecast/train.py follows the training contract: only SM_* says where things are and what to do."""

from __future__ import annotations

import json
import os
import re
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from devserver.workload_series import write_hourly_panel
from tests.integration.sagemaker.conftest import FORECAST_JOB

MASE_REGEX = r"validation:mase=([0-9.eE+-]+);"


def _run(
    python: Path, root: Path, hyperparameters: dict, with_channel: bool = True, with_panel: bool = True
) -> subprocess.CompletedProcess:
    environment = {
        "PATH": os.environ["PATH"],
        "SM_MODEL_DIR": str(root / "model"),
        "SM_OUTPUT_DIR": str(root / "output"),
        "SM_OUTPUT_DATA_DIR": str(root / "output" / "data"),
        "SM_HPS": json.dumps(hyperparameters),
    }
    if with_channel:
        if with_panel:
            write_hourly_panel(root / "input" / "data" / "train" / "panel.csv")
        environment["SM_CHANNEL_TRAIN"] = str(root / "input" / "data" / "train")
    (root / "model").mkdir(parents=True)
    # Run from an unrelated folder with nothing but the SM_* variables: no path is assumed.
    return subprocess.run(
        [str(python), str(FORECAST_JOB / "train.py")],
        cwd=root,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_trained_forecast_is_written_to_the_model_dir_with_its_metrics_printed(
    forecast_python: Path, tmp_path: Path
) -> None:
    completed = _run(forecast_python, tmp_path, {"horizon": "48", "season_length": "24", "folds": "2"})

    assert completed.returncode == 0, completed.stderr
    assert not (tmp_path / "output" / "failure").exists()
    model = json.loads((tmp_path / "model" / "model.json").read_text())
    assert set(model["series"]) == {"tenant-a", "tenant-b"}
    for entry in model["series"].values():
        assert entry["model"] in {"seasonal_naive", "auto_ets", "auto_theta"}
        assert len(entry["forecast"]) == 48
        assert entry["forecast"][0]["timestamp"] == "2026-11-15T00:00:00+00:00"
        assert all(point["lower"] <= point["mean"] <= point["upper"] for point in entry["forecast"])
        # The chosen model's two held-out windows of 48 hours, the series' last 96, each hour beside what came.
        validation = entry["validation"]
        assert len(validation) == 96
        assert validation[0]["timestamp"] == "2026-11-11T00:00:00+00:00"
        assert validation[-1]["timestamp"] == "2026-11-14T23:00:00+00:00"
        assert all(0 <= point["mean"] <= point["upper"] and point["actual"] > 0 for point in validation)
    mase = float(re.findall(MASE_REGEX, completed.stdout)[-1])
    baseline = float(re.findall(r"validation:seasonal_naive_mase=([0-9.eE+-]+);", completed.stdout)[-1])
    assert 0 < mase <= baseline


def test_a_series_too_short_to_forecast_is_left_out_and_the_others_are_forecast(
    forecast_python: Path, tmp_path: Path
) -> None:
    short = tmp_path / "input" / "data" / "train" / "new-tenant.csv"
    short.parent.mkdir(parents=True)
    short.write_text("series,timestamp,value\nnew-tenant,2026-11-14T23:00:00+00:00,3\n")

    completed = _run(forecast_python, tmp_path, {"horizon": "24", "season_length": "24", "folds": "1"})

    assert completed.returncode == 0, (tmp_path / "output" / "failure").read_text()
    assert set(json.loads((tmp_path / "model" / "model.json").read_text())["series"]) == {"tenant-a", "tenant-b"}


def test_a_count_series_is_never_forecast_below_zero(forecast_python: Path, tmp_path: Path) -> None:
    # A workflow that fails now and then: mostly zeros, so an interval around its mean reaches under zero.
    start = datetime(2026, 11, 1, tzinfo=UTC)
    failures = [int(hour % 7 == 0) + int(hour % 11 == 0) for hour in range(24 * 5)]
    rows = "".join(
        f"tenant-a:wf-rare:failures,{(start + timedelta(hours=hour)).isoformat()},{count}\n"
        for hour, count in enumerate(failures)
    )
    rare = tmp_path / "input" / "data" / "train" / "rare.csv"
    rare.parent.mkdir(parents=True)
    rare.write_text(f"series,timestamp,value\n{rows}")

    completed = _run(
        forecast_python, tmp_path, {"horizon": "24", "season_length": "24", "folds": "1"}, with_panel=False
    )

    assert completed.returncode == 0, (tmp_path / "output" / "failure").read_text()
    forecast = json.loads((tmp_path / "model" / "model.json").read_text())["series"]["tenant-a:wf-rare:failures"]
    assert min(point["lower"] for point in forecast["forecast"]) == 0
    assert all(0 <= point["lower"] <= point["mean"] <= point["upper"] for point in forecast["forecast"])


def test_a_horizon_outside_24_to_168_hours_is_a_failure_naming_it(forecast_python: Path, tmp_path: Path) -> None:
    completed = _run(forecast_python, tmp_path, {"horizon": "500"})

    assert completed.returncode == 1
    assert (
        tmp_path / "output" / "failure"
    ).read_text() == "hyperparameter horizon must be between 24 and 168, got '500'"
    assert not (tmp_path / "model" / "model.json").exists()


def test_a_job_without_a_train_channel_fails_with_the_reason(forecast_python: Path, tmp_path: Path) -> None:
    completed = _run(forecast_python, tmp_path, {}, with_channel=False)

    assert completed.returncode == 1
    assert "no train channel" in (tmp_path / "output" / "failure").read_text()
