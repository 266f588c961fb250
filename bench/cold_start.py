"""Cold-start cost of every catalog function: importing its handler in a fresh interpreter, minus a bare start."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

from shared.catalog import CATALOG
from shared.local.emulation import local_environment
from shared.resources import PROJECT_ROOT

RUNS = 5
TARGET_SECONDS = {"http": 0.9, "event": 0.35}


def _median_seconds(code: str, environment: dict[str, str]) -> float:
    samples = []
    for _ in range(RUNS):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, cwd=PROJECT_ROOT, env=environment)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main() -> None:
    environment = {**os.environ, **local_environment("http://127.0.0.1:9")}
    bare = _median_seconds("pass", environment)
    print(f"bare interpreter start: {bare * 1000:.0f} ms (median of {RUNS}, subtracted below)")
    print(f"{'function':<28}{'kind':<7}{'import':>10}{'target':>10}  verdict")
    for spec in CATALOG:
        kind = "http" if spec.is_http else "event"
        seconds = _median_seconds(f"import {spec.handler_module}", environment) - bare
        target = TARGET_SECONDS[kind]
        verdict = "ok" if seconds <= target else "OVER TARGET"
        print(f"{spec.name:<28}{kind:<7}{seconds * 1000:>8.0f}ms{target * 1000:>8.0f}ms  {verdict}")
