"""Local platform start time: from `forge dev` to a healthy /v1/health."""

from __future__ import annotations

import statistics
import tempfile
from pathlib import Path

from devserver.subprocess_platform import LocalPlatform

RUNS = 3
TARGET_SECONDS = 6.0


def main() -> None:
    samples = []
    with tempfile.TemporaryDirectory() as state_dir:
        for _ in range(RUNS):
            platform = LocalPlatform(state_dir=Path(state_dir))
            samples.append(platform.start())
            platform.stop()
    median = statistics.median(samples)
    verdict = "ok" if median <= TARGET_SECONDS else "OVER TARGET"
    runs = ", ".join(f"{sample:.2f}" for sample in samples)
    print(f"forge dev → healthy: median {median:.2f} s of {RUNS} ({runs}); target ≤ {TARGET_SECONDS:.0f} s  {verdict}")
