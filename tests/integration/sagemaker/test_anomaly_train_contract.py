"""sagemaker/anomaly/train.py follows the training contract (only SM_* says where things are and what to do), and
its inference.py scores new points against what it learnt."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
from pathlib import Path
from types import ModuleType

from devserver.workload_series import write_hourly_panel
from tests.integration.sagemaker.conftest import ANOMALY_JOB


def _run(python: Path, root: Path, hyperparameters: dict, with_channel: bool = True) -> subprocess.CompletedProcess:
    environment = {
        "PATH": os.environ["PATH"],
        "SM_MODEL_DIR": str(root / "model"),
        "SM_OUTPUT_DIR": str(root / "output"),
        "SM_OUTPUT_DATA_DIR": str(root / "output" / "data"),
        "SM_HPS": json.dumps(hyperparameters),
    }
    if with_channel:
        write_hourly_panel(root / "input" / "data" / "train" / "panel.csv")
        environment["SM_CHANNEL_TRAIN"] = str(root / "input" / "data" / "train")
    (root / "model").mkdir(parents=True)
    # Run from an unrelated folder with nothing but the SM_* variables: no path is assumed.
    return subprocess.run(
        [str(python), str(ANOMALY_JOB / "train.py")],
        cwd=root,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


def _inference() -> ModuleType:
    """The job's inference.py, loaded as its container's model server loads it (by file, not as a package)."""
    spec = importlib.util.spec_from_file_location("anomaly_inference", ANOMALY_JOB / "inference.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_trained_model_is_written_with_its_metrics_and_flags_a_spike_but_not_a_usual_value(
    anomaly_python: Path, tmp_path: Path
) -> None:
    completed = _run(anomaly_python, tmp_path, {"season_length": "24", "threshold": "5"})

    assert completed.returncode == 0, completed.stderr
    assert not (tmp_path / "output" / "failure").exists()
    rate = float(re.findall(r"validation:anomaly_rate=([0-9.eE+-]+);", completed.stdout)[-1])
    assert 0 <= rate < 0.01
    inference = _inference()
    model = inference.model_fn(str(tmp_path / "model"))
    request = inference.input_fn(
        json.dumps(
            {
                "series": "tenant-a",
                "points": [
                    {"timestamp": "2026-11-15T06:00:00+00:00", "value": 175.0},
                    {"timestamp": "2026-11-15T06:00:00+00:00", "value": 900.0},
                ],
            }
        )
    )
    answer = json.loads(inference.output_fn(inference.predict_fn(request, model)))
    assert [score["anomalous"] for score in answer["scores"]] == [False, True]


def test_an_unknown_hyperparameter_is_a_failure_naming_it(anomaly_python: Path, tmp_path: Path) -> None:
    completed = _run(anomaly_python, tmp_path, {"n_estimators": "100"})

    assert completed.returncode == 1
    assert (tmp_path / "output" / "failure").read_text() == "unknown hyperparameter(s): n_estimators"
    assert not (tmp_path / "model" / "model.json").exists()


def test_a_threshold_out_of_range_and_a_missing_channel_fail_with_the_reason(
    anomaly_python: Path, tmp_path: Path
) -> None:
    out_of_range = _run(anomaly_python, tmp_path / "range", {"threshold": "0.5"})
    without_channel = _run(anomaly_python, tmp_path / "channel", {}, with_channel=False)

    assert out_of_range.returncode == 1
    assert (tmp_path / "range" / "output" / "failure").read_text() == (
        "hyperparameter threshold must be between 2 and 20, got '0.5'"
    )
    assert without_channel.returncode == 1
    assert "no train channel" in (tmp_path / "channel" / "output" / "failure").read_text()
