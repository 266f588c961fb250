"""Serves an anomaly model (SageMaker's inference handler contract): robust z-scores of new points of a series.

A request is JSON `{"series": "<name>", "points": [{"timestamp": "<ISO 8601>", "value": <number>}, ...]}` (at most
10,000 points); the answer is JSON `{"series", "threshold", "scores": [{"timestamp", "value", "expected", "z",
"anomalous"}, ...]}`, each point against the median and MAD of its phase of the season.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from pathlib import Path
from typing import Any

MODEL_FILE = "model.json"
JSON = "application/json"
MAD_TO_SIGMA = 1.4826
MAX_POINTS = 10_000


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
    points = request.get("points")
    if not isinstance(points, list) or not 1 <= len(points) <= MAX_POINTS:
        raise BadRequest(f"points: a list of 1 to {MAX_POINTS} points is required")
    for index, point in enumerate(points):
        value = point.get("value") if isinstance(point, dict) else None
        if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
            raise BadRequest(f"points/{index}/value: a finite number is required")
        try:
            datetime.fromisoformat(point.get("timestamp"))
        except (TypeError, ValueError):
            raise BadRequest(f"points/{index}/timestamp: an ISO 8601 timestamp is required") from None
    return request


def predict_fn(request: dict[str, Any], model: dict[str, Any]) -> dict[str, Any]:
    entry = model["series"].get(request["series"])
    if entry is None:
        raise BadRequest(f"series: no model for {request['series']!r}")
    season, threshold = int(model["settings"]["season_length"]), float(model["settings"]["threshold"])
    scores = []
    for point in request["points"]:
        phase = int(datetime.fromisoformat(point["timestamp"]).timestamp() // 3600) % season
        expected = entry["median"][phase]
        z = abs(point["value"] - expected) / (MAD_TO_SIGMA * entry["mad"][phase])
        scores.append(
            {
                "timestamp": point["timestamp"],
                "value": point["value"],
                "expected": expected,
                "z": round(z, 4),
                "anomalous": z >= threshold,
            }
        )
    return {"series": request["series"], "threshold": threshold, "scores": scores}


def output_fn(prediction: dict[str, Any], accept: str = JSON) -> str:
    if accept.split(";")[0].strip() not in (JSON, "*/*"):
        raise BadRequest(f"accept must be {JSON}, got {accept}")
    return json.dumps(prediction)
