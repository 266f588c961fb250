"""A generated hourly workload in the forecast job's input format, shared by its tests and its benchmark, and a
generated history written into `forge dev`'s bucket for a tenant that has none yet."""

from __future__ import annotations

import csv
import io
import json
import math
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from shared.ml.plans import transform_requests_prefix
from shared.ml.series import series_key


def write_hourly_panel(path: Path, hours: int = 336, seed: int = 7) -> None:
    """Two tenants' hourly executions: a daily cycle, a slow trend and noise."""
    generator = random.Random(seed)  # noqa: S311 -- reproducible noise, not a secret
    start = datetime(2026, 11, 1, tzinfo=UTC)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["series", "timestamp", "value"])
        for series, level, amplitude in (("tenant-a", 120.0, 40.0), ("tenant-b", 30.0, 12.0)):
            for hour in range(hours):
                daily = amplitude * math.sin(2 * math.pi * hour / 24)
                value = level + daily + 0.05 * hour + generator.gauss(0, amplitude / 10)
                writer.writerow([series, (start + timedelta(hours=hour)).isoformat(), round(value, 3)])


def write_sample_history(
    s3: Any, bucket: str, tenant_id: str, workflow_id: str | None, *, days: int, end: datetime, seed: int = 7
) -> int:
    """`forge ml series sample`: `days` of generated hourly executions of the tenant (and of one of its workflows, a
    third of them) up to `end`'s hour, written where ml_export writes (one object per tenant and hour, replacing that
    hour's export), with the forecast's transform requests for them; the hours written."""
    generator = random.Random(seed)  # noqa: S311 -- reproducible noise, not a secret
    last = end.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    names = [f"{tenant_id}:executions"] + ([f"{tenant_id}:{workflow_id}:executions"] if workflow_id else [])
    hours = days * 24
    for step in range(hours):
        hour = last - timedelta(hours=hours - 1 - step)
        count = max(0.0, 12 + 8 * math.sin(2 * math.pi * (hour.hour - 8) / 24) + generator.gauss(0, 1.5))
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(("series", "timestamp", "value"))
        for name, value in zip(names, (round(count), round(count / 3)), strict=False):
            writer.writerow((name, hour.strftime("%Y-%m-%dT%H:%M:%SZ"), float(value)))
        s3.put_object(Bucket=bucket, Key=series_key(tenant_id, hour), Body=text.getvalue().encode())
    requests = "".join(json.dumps({"series": name}) + "\n" for name in names)
    key = f"{transform_requests_prefix('forecast')}tenant={tenant_id}.jsonl"
    s3.put_object(Bucket=bucket, Key=key, Body=requests.encode())
    return hours
