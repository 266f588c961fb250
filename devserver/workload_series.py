"""A generated hourly workload in the forecast job's input format, shared by its tests and its benchmark."""

from __future__ import annotations

import csv
import math
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path


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
