"""Serves a forecast model (SageMaker's inference handler contract): the trained forecast of a series, with intervals.

A request is JSON `{"series": "<name>", "horizon": <steps, at most the trained one; all of them without it>}`; the
answer is JSON `{"series", "model", "validation_mase": {candidate: MASE}, "interval_level", "last_timestamp",
"forecast": [{"timestamp", "mean", "lower", "upper"}, ...], "validation": [{"timestamp", "actual", "mean", "upper"},
...]}` (the chosen model's forecasts of the cross-validation windows, and what came).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

MODEL_FILE = "model.json"
JSON = "application/json"


class BadRequest(ValueError):
    """A request the model cannot answer, named by its field."""


def model_fn(model_dir: str) -> dict[str, Any]:
    model: dict[str, Any] = json.loads((Path(model_dir) / MODEL_FILE).read_text())
    return model


def input_fn(request_body: str | bytes, content_type: str = JSON) -> dict[str, Any]:
    if content_type.split(";")[0].strip() != JSON:
        raise BadRequest(f"content type must be {JSON}, got {content_type}")
    request = json.loads(request_body)
    if not isinstance(request, dict) or not isinstance(request.get("series"), str):
        raise BadRequest("series: a series name is required")
    return request


def predict_fn(request: dict[str, Any], model: dict[str, Any]) -> dict[str, Any]:
    entry = model["series"].get(request["series"])
    if entry is None:
        raise BadRequest(f"series: no model for {request['series']!r}")
    trained = len(entry["forecast"])
    horizon = request.get("horizon", trained)
    if not isinstance(horizon, int) or isinstance(horizon, bool) or not 1 <= horizon <= trained:
        raise BadRequest(f"horizon: an integer between 1 and {trained}, got {horizon!r}")
    return {
        "series": request["series"],
        "model": entry["model"],
        "validation_mase": entry["validation_mase"],
        "interval_level": model["settings"]["interval_level"],
        "last_timestamp": entry["last_timestamp"],
        "forecast": entry["forecast"][:horizon],
        "validation": entry.get("validation", []),
    }


def output_fn(prediction: dict[str, Any], accept: str = JSON) -> str:
    if accept.split(";")[0].strip() not in (JSON, "*/*"):
        raise BadRequest(f"accept must be {JSON}, got {accept}")
    return json.dumps(prediction)
