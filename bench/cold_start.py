"""Cold-start cost of every catalog function: importing its handler in a fresh interpreter, minus a bare start.

Each import runs with the function's catalog environment (shared/catalog.py resource_environment, as Lambda gives
it, with the local resource names), so settings that the catalog sets for every function apply here as there.
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
import tempfile
import time
from pathlib import Path

from devserver.emulation import local_environment, physical_names
from devserver.issuer import LocalIssuer
from shared.catalog import CATALOG, CATALOG_BY_NAME, resource_environment
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
_AUTHORIZER_EVENT = {
    "type": "REQUEST",
    "methodArn": "arn:aws:execute-api:us-east-1:123456789012:api/prod/GET/v1/workflows",
    "headers": {"host": "127.0.0.1"},
}
_UNREADABLE_BATCH = {
    "Records": [
        {
            "messageId": "bench",
            "receiptHandle": "bench",
            "body": "{}",
            "attributes": {"SentTimestamp": "1700000000000"},
            "messageAttributes": {},
            "eventSource": "aws:sqs",
        }
    ]
}
# What the first invocation pays after the handler's import: (label, function whose catalog environment the child
# gets, code run once before timing, code timed). Work the handlers defer from import time is timed here.
FIRST_INVOCATIONS = (
    (
        "platform_meta: first GET /v1/health through Mangum",
        "platform_meta",
        f"from functions.platform_meta.handler import handler\n{_CONTEXT}import json\n"
        f"event = json.loads({json.dumps(_HEALTH_EVENT)!r})",
        "assert handler(event, context)['statusCode'] == 200",
    ),
    (
        "smoke_echo: first invocation",
        "smoke_echo",
        f"from functions.smoke_echo.handler import handler\n{_CONTEXT}",
        "handler({'name': 'bench'}, context)",
    ),
    (
        "first AWS client (imports boto3, builds the client)",
        "executions",
        "import functions.executions.handler\nfrom shared.aws.clients import stepfunctions_client",
        "stepfunctions_client()",
    ),
    (
        "authorizer: first request without credentials",
        "authorizer",
        f"from functions.authorizer.handler import handler\n{_CONTEXT}event = {_AUTHORIZER_EVENT!r}",
        "assert handler(event, context)['principalId'] == 'anonymous'",
    ),
    (
        # A platform admin's token needs no membership lookup, so no AWS call; PyJWT is imported on this path.
        # (An API key's first request builds the DynamoDB connection, as before; it makes a call, not timed here.)
        "authorizer: first bearer token (imports PyJWT, reads the JWKS)",
        "authorizer",
        f"from functions.authorizer.handler import handler\n{_CONTEXT}import os\nevent = {_AUTHORIZER_EVENT!r}\n"
        "event['headers']['Authorization'] = 'Bearer ' + os.environ['BENCH_TOKEN']",
        "assert handler(event, context)['principalId'] == 'platform-admin@bench'",
    ),
    (
        "execution_events: first error workflow (imports the start path)",
        "execution_events",
        "import functions.execution_events.handler",
        "from shared.executions.start import StartRequest, start_execution",
    ),
    (
        "approvals_intake: first batch (one unreadable message)",
        "approvals_intake",
        f"from functions.approvals_intake.handler import handler\n{_CONTEXT}"
        f"from shared.aws.sqs import EntireBatchFailed\nevent = {_UNREADABLE_BATCH!r}",
        "try:\n    handler(event, context)\nexcept EntireBatchFailed:\n    pass\nelse:\n    raise AssertionError",
    ),
)


def _function_environment(base: dict[str, str], name: str) -> dict[str, str]:
    """What Lambda gives the function: its catalog environment over the local platform's."""
    return {**base, **resource_environment(CATALOG_BY_NAME[name], physical_names())}


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
    issuer_directory = tempfile.TemporaryDirectory()
    issuer = LocalIssuer(Path(issuer_directory.name))
    environment["FORGE_AUTH_JWKS_URL"] = issuer.jwks_url
    environment["BENCH_TOKEN"] = issuer.mint("platform-admin@bench", platform_admin=True)
    load_before = os.getloadavg()[0]
    bare_wall, bare_cpu = _medians("pass", environment)
    print(f"bare interpreter start: {bare_wall * 1000:.0f} ms wall, {bare_cpu * 1000:.0f} ms CPU (median of {RUNS})")
    print("import time per function, minus the bare start:")
    print(f"{'function':<28}{'kind':<7}{'wall':>8}{'CPU':>8}{'target':>9}  verdict")
    for spec in CATALOG:
        kind = "http" if spec.is_http else "event"
        wall, cpu = _medians(f"import {spec.handler_module}", _function_environment(environment, spec.name))
        wall, cpu = wall - bare_wall, cpu - bare_cpu
        target = TARGET_SECONDS[kind]
        verdict = "ok" if wall <= target else "OVER TARGET"
        print(f"{spec.name:<28}{kind:<7}{wall * 1000:>6.0f}ms{cpu * 1000:>6.0f}ms{target * 1000:>7.0f}ms  {verdict}")
    print("first invocation after the import (in-process work only; no AWS calls are made):")
    for label, name, setup, timed in FIRST_INVOCATIONS:
        seconds = _timed_in_child(setup, timed, _function_environment(environment, name))
        print(f"  {label:<66}{seconds * 1000:>6.0f} ms")
    load_after = os.getloadavg()[0]
    print(f"load average: {load_before:.1f} before, {load_after:.1f} after (on a loaded machine trust the CPU column)")
    issuer_directory.cleanup()
