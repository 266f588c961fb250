"""A forecast job's batch transform output for a tenant, as the pipeline writes it (sagemaker/forecast/inference.py's
answers, one line a series, under `ml/transform/forecast/<job>/tenant=<id>.jsonl.out`)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import boto3

from shared.forecasts.published import FORECAST_OUTPUT_PREFIX
from shared.settings import get_settings


def series_answer(
    series: str,
    start: datetime,
    means: list[float],
    model: str = "auto_ets",
    validation: list[dict[str, object]] | None = None,
) -> dict[str, object]:
    """`validation`: the held-out points (timestamp, actual, mean, upper) the job validated its choice on."""
    return {
        "series": series,
        "model": model,
        "validation_mase": {"seasonal_naive": 1.0, "auto_ets": 0.62, "auto_theta": 0.71},
        "interval_level": 0.9,
        "last_timestamp": (start - timedelta(hours=1)).isoformat(),
        "forecast": [
            {"timestamp": (start + timedelta(hours=step)).isoformat(), "mean": m, "lower": m * 0.8, "upper": m * 1.25}
            for step, m in enumerate(means)
        ],
        "validation": validation or [],
    }


def publish_forecast(tenant_id: str, job_id: str, answers: list[dict[str, object]]) -> None:
    boto3.client("s3").put_object(
        Bucket=get_settings().require("bucket_payloads"),
        Key=f"{FORECAST_OUTPUT_PREFIX}{job_id}/tenant={tenant_id}.jsonl.out",
        Body="".join(json.dumps(answer) + "\n" for answer in answers).encode(),
    )
