"""Cold-start cost of every catalog function: importing its handler in a fresh interpreter, minus a bare start.

Wall time is what the targets are about. The machine may be shared, so the report also gives the children's CPU
time (less sensitive to other load) and the load average around the runs. A second table times what the first
invocation pays after the import, in a fresh interpreter each: work deferred from import time shows up there.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time

from shared.catalog import CATALOG
from shared.local.emulation import local_environment
from shared.resources import PROJECT_ROOT

RUNS = 5
TARGET_SECONDS = {"http": 0.9, "event": 0.35}

_HEALTH_EVENT = {
    "resource": "/v1/health",
    "path": "/v1/health",
    "httpMethod": "GET",
    "headers": {"host": "127.0.0.1"},
    "multiValueHeaders": {},
    "queryStringParameters": None,
    "multiValueQueryStringParameters": None,
    "pathParameters": None,
    "stageVariables": None,
    "requestContext": {
        "resourcePath": "/v1/health",
        "httpMethod": "GET",
        "path": "/prod/v1/health",
        "stage": "prod",
        "requestId": "bench",
        "identity": {"sourceIp": "127.0.0.1"},
    },
    "body": None,
    "isBase64Encoded": False,
}
# A Lambda context without importing the local runtime (which would load modules the handler may not).
_CONTEXT = """
class _Context:
    function_name = "bench"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    memory_limit_in_mb = 256
    aws_request_id = "bench"
    log_group_name = ""
    log_stream_name = ""
context = _Context()
"""
# What the first invocation pays after the handler's import: (label, code run once before timing, code timed).
FIRST_INVOCATIONS = (
    (
        "platform_meta: first GET /v1/health through Mangum",
        f"from functions.platform_meta.handler import handler\n{_CONTEXT}import json\n"
        f"event = json.loads({json.dumps(_HEALTH_EVENT)!r})",
        "assert handler(event, context)['statusCode'] == 200",
    ),
    (
        "smoke_echo: first invocation",
        f"from functions.smoke_echo.handler import handler\n{_CONTEXT}",
        "handler({'name': 'bench'}, context)",
    ),
    (
        "first AWS client (imports boto3, builds the client)",
        "import functions.executions.handler\nfrom shared.aws.clients import stepfunctions_client",
        "stepfunctions_client()",
    ),
)


def _children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _medians(code: str, environment: dict[str, str]) -> tuple[float, float]:
    """Median wall and CPU seconds of running `code` in a fresh interpreter."""
    wall, cpu = [], []
    for _ in range(RUNS):
        cpu_before = _children_cpu_seconds()
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, cwd=PROJECT_ROOT, env=environment)
        wall.append(time.perf_counter() - started)
        cpu.append(_children_cpu_seconds() - cpu_before)
    return statistics.median(wall), statistics.median(cpu)


def _timed_in_child(setup: str, timed: str, environment: dict[str, str]) -> float:
    """Median of the time a fresh interpreter spends on `timed` right after `setup`."""
    code = f"{setup}\nimport time as _t\n_s = _t.perf_counter()\n{timed}\nprint(_t.perf_counter() - _s)"
    samples = []
    for _ in range(RUNS):
        result = subprocess.run(
            [sys.executable, "-c", code], check=True, cwd=PROJECT_ROOT, env=environment, capture_output=True, text=True
        )
        samples.append(float(result.stdout.strip().splitlines()[-1]))
    return statistics.median(samples)


def main() -> None:
    environment = {**os.environ, **local_environment("http://127.0.0.1:9")}
    load_before = os.getloadavg()[0]
    bare_wall, bare_cpu = _medians("pass", environment)
    print(f"bare interpreter start: {bare_wall * 1000:.0f} ms wall, {bare_cpu * 1000:.0f} ms CPU (median of {RUNS})")
    print("import time per function, minus the bare start:")
    print(f"{'function':<28}{'kind':<7}{'wall':>8}{'CPU':>8}{'target':>9}  verdict")
    for spec in CATALOG:
        kind = "http" if spec.is_http else "event"
        wall, cpu = _medians(f"import {spec.handler_module}", environment)
        wall, cpu = wall - bare_wall, cpu - bare_cpu
        target = TARGET_SECONDS[kind]
        verdict = "ok" if wall <= target else "OVER TARGET"
        print(f"{spec.name:<28}{kind:<7}{wall * 1000:>6.0f}ms{cpu * 1000:>6.0f}ms{target * 1000:>7.0f}ms  {verdict}")
    print("first invocation after the import (in-process work only; no AWS calls are made):")
    for label, setup, timed in FIRST_INVOCATIONS:
        print(f"  {label:<58}{_timed_in_child(setup, timed, environment) * 1000:>6.0f} ms")
    load_after = os.getloadavg()[0]
    print(f"load average: {load_before:.1f} before, {load_after:.1f} after (on a loaded machine trust the CPU column)")
