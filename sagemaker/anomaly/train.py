"""Anomaly training job: a robust seasonal model per series (the batch counterpart of the status path's detector).

The SageMaker training contract (sagemaker/README.md): every path and setting comes from the `SM_*` environment. The
`train` channel holds CSV files with the header `series,timestamp,value` (the training-data export's hourly series:
executions, failures, durations, tokens of a tenant or a workflow). Per series and per phase of the season (the hour
of the day for `season_length` 24, of the week for 168), the model keeps the median and the median absolute deviation
(MAD) of the values; a value's robust z-score is its distance from its phase's median in MADs (scaled by 1.4826, a
standard deviation for normal data), an anomaly from `threshold` on. Medians and MADs shrug off the anomalies in
the history they are learnt from, which means and standard deviations don't. `inference.py` scores new points.
"""

from __future__ import annotations

import csv
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

try:
    import contract
except ModuleNotFoundError:  # run from the repository: sagemaker/contract.py, one folder up (packed beside it)
    sys.path.append(str(Path(__file__).resolve().parents[1]))
    import contract

JobError = contract.JobError

MODEL_FILE = "model.json"
MAD_TO_SIGMA = 1.4826
HYPERPARAMETERS = {"season_length", "threshold", "min_cycles"}


def _number(hyperparameters: dict[str, Any], name: str, default: float, low: float, high: float) -> float:
    raw = hyperparameters.get(name, default)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise JobError(f"hyperparameter {name} must be a number, got {raw!r}") from None
    if not low <= value <= high:
        raise JobError(f"hyperparameter {name} must be between {low:g} and {high:g}, got {raw!r}")
    return value


def read_settings(hyperparameters: dict[str, Any]) -> dict[str, float]:
    unknown = sorted(set(hyperparameters) - HYPERPARAMETERS)
    if unknown:
        raise JobError(f"unknown hyperparameter(s): {', '.join(unknown)}")
    season = _number(hyperparameters, "season_length", 24, 1, 168)
    if season != int(season):
        raise JobError(f"hyperparameter season_length must be an integer, got {hyperparameters['season_length']!r}")
    return {
        "season_length": int(season),
        "threshold": _number(hyperparameters, "threshold", 4.0, 2.0, 20.0),
        "min_cycles": int(_number(hyperparameters, "min_cycles", 3, 1, 52)),
    }


def phase_of(timestamp: str, season_length: int) -> int:
    """The point's phase: hours since the Unix epoch, modulo the season (the same in training and inference)."""
    return int(datetime.fromisoformat(timestamp).timestamp() // 3600) % season_length


def read_series(channel: Path) -> dict[str, list[tuple[str, float]]]:
    files = sorted(channel.rglob("*.csv"))
    if not files:
        raise JobError(f"the train channel has no CSV file (series,timestamp,value): {channel.name}")
    series: dict[str, list[tuple[str, float]]] = {}
    for path in files:
        with path.open(newline="") as handle:
            reader = csv.DictReader(handle)
            missing = {"series", "timestamp", "value"} - set(reader.fieldnames or ())
            if missing:
                raise JobError(f"{path.name} lacks column(s): {', '.join(sorted(missing))}")
            for row in reader:
                series.setdefault(row["series"], []).append((row["timestamp"], float(row["value"])))
    return {name: sorted(points) for name, points in sorted(series.items())}


def fit_series(name: str, points: list[tuple[str, float]], settings: dict[str, float]) -> dict[str, Any]:
    season = int(settings["season_length"])
    needed = season * int(settings["min_cycles"])
    if len(points) < needed:
        raise JobError(f"series {name} has {len(points)} points; {settings['min_cycles']:g} seasons need {needed}")
    values = np.array([value for _, value in points])
    phases = np.array([phase_of(stamp, season) for stamp, _ in points])
    overall_mad = float(np.median(np.abs(values - np.median(values))))
    medians, spreads = [], []
    for phase in range(season):
        seen = values[phases == phase]
        median = float(np.median(seen)) if seen.size else float(np.median(values))
        mad = float(np.median(np.abs(seen - median))) if seen.size else overall_mad
        medians.append(median)
        # A phase that never varied would make any change infinitely surprising: its MAD is floored.
        spreads.append(max(mad, 0.1 * overall_mad, 1e-9))
    scores = np.abs(values - np.array(medians)[phases]) / (MAD_TO_SIGMA * np.array(spreads)[phases])
    return {
        "median": medians,
        "mad": spreads,
        "points": len(points),
        "training_anomalies": int(np.sum(scores >= settings["threshold"])),
    }


def train(hyperparameters: dict[str, Any], channel: Path, model_dir: Path) -> dict[str, float]:
    settings = read_settings(hyperparameters)
    models = {name: fit_series(name, points, settings) for name, points in read_series(channel).items()}
    (model_dir / MODEL_FILE).write_text(json.dumps({"settings": settings, "series": models}, indent=1))
    points = sum(model["points"] for model in models.values())
    anomalies = sum(model["training_anomalies"] for model in models.values())
    return {"series": float(len(models)), "points": float(points), "anomaly_rate": anomalies / points}


def main() -> int:
    return contract.run(lambda: train(contract.hyperparameters(), contract.channel("train"), contract.model_dir()))


if __name__ == "__main__":
    sys.exit(main())
