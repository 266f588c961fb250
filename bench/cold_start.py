"""Cold start of every catalog function as Lambda has it: its handler imported from the bundle as shipped.

The bundle is laid out here as Lambda lays it out: the function's package as infra/bundles.py bundles it (Lambda's
/var/task), our dependency layer (/opt/python), and what Lambda's runtime and the Powertools layer provide (boto3,
Powertools: the Makefile's LAYER_PROVIDED at requirements.lock's pins, installed for the runtime and compiled as pip
compiles an install; AWS ships those, so how AWS compiled them is assumed, not measured). A fresh interpreter of the
runtime's version (Python 3.13) imports the handler with nothing else on its path (-S: none of that interpreter's
own site-packages) and with the function's catalog environment (shared/catalog.py resource_environment, local
resource names). It writes no bytecode (PYTHONDONTWRITEBYTECODE, as Lambda's read-only code directories allow none;
file modes would not stop root here), so a module shipped without valid bytecode is compiled on every run, as on
every cold start; the layout is checked unchanged after the runs, and a probe counts the modules the import compiled
from source (0 when everything shipped compiled).

Each import is timed inside its interpreter (wall and CPU, from just before the import to just after it: Lambda's
runtime is started before it imports the handler, and nothing is torn down before the first invocation). Beside the
import as shipped, the same import from the same layout without our bytecode: how the bundles and the layer shipped
before they carried it. Wall time is what the targets are about. The machine may be shared, so the report also
gives the CPU time (less sensitive to other load) and the load average around the runs. A second table times what
the first invocation pays after the import, in the same layout and a fresh interpreter each: work deferred from
import time shows up there.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from devserver.emulation import local_environment, physical_names
from devserver.issuer import LocalIssuer
from infra.bundles import (
    LAMBDA_PLATFORM,
    RUNTIME_PYTHON_VERSION,
    build_dependency_layer,
    build_function_code,
    find_runtime_python,
    packages_provided_by_aws,
    uv_executable,
)
from shared.catalog import CATALOG, CATALOG_BY_NAME, FunctionSpec, resource_environment
from shared.resources import PROJECT_ROOT

RUNS = 5
RUNS_BEFORE = 3
TARGET_SECONDS = {"http": 0.9, "event": 0.35}
PROVIDED_BUILD_DIR = PROJECT_ROOT / ".build" / "aws-provided"
# Run before the import it probes: counts the modules compiled from source rather than loaded from bytecode.
_COUNT_COMPILED_FROM_SOURCE = """
import importlib._bootstrap_external as _external
_compiled = []
_source_to_code = _external.SourceLoader.source_to_code
def _counting(self, data, path, *, _optimize=-1):
    _compiled.append(path)
    return _source_to_code(self, data, path, _optimize=_optimize)
_external.SourceLoader.source_to_code = _counting
"""
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


@dataclass(frozen=True)
class Timing:
    wall: float
    cpu: float
    compiled: int


@dataclass(frozen=True)
class Layout:
    """Where a function's code, our layer and what AWS provides sit, and the interpreter that imports from them."""

    python: Path
    task: Path
    layer: Path
    provided: Path

    def command(self, code: str) -> list[str]:
        """Runs `code` with Lambda's search path: the function's package, the layer, the standard library, then what
        the runtime provides."""
        search_path = f"import sys\nsys.path[:0] = {[str(self.task), str(self.layer)]!r}\n"
        search_path += f"sys.path.append({str(self.provided)!r})\n"
        return [str(self.python), "-S", "-P", "-c", search_path + code]

    def without_bytecode(self, task: Path, layer: Path) -> Layout:
        """The same layout with our package and layer as they shipped before (sources only), copied to `task` and,
        unless an earlier call did, to `layer`."""
        shutil.copytree(self.task, task, ignore=shutil.ignore_patterns("__pycache__"))
        if not layer.exists():
            shutil.copytree(self.layer, layer, ignore=shutil.ignore_patterns("__pycache__"))
        return Layout(self.python, task, layer, self.provided)


def _pinned_in_development_lock(names: list[str]) -> list[str]:
    def normalized(name: str) -> str:
        return re.sub(r"[-_.]+", "-", name).lower()

    wanted = {normalized(name) for name in names}
    lock = (PROJECT_ROOT / "requirements.lock").read_text()
    return [
        pin for pin, name in re.findall(r"^(([A-Za-z0-9_.-]+)==[^\s\\;]+)", lock, re.M) if normalized(name) in wanted
    ]


def _provided_by_aws(python: Path) -> Path:
    """What Lambda's runtime and the Powertools layer provide, installed once for the runtime and compiled."""
    pins = _pinned_in_development_lock(packages_provided_by_aws())
    build_dir = PROVIDED_BUILD_DIR / hashlib.sha256(" ".join([str(python), *pins]).encode()).hexdigest()[:16]
    if not (build_dir / ".complete").exists():
        shutil.rmtree(build_dir, ignore_errors=True)
        install = [uv_executable(), "pip", "install", "--quiet", "--no-deps", "--only-binary", ":all:"]
        install += [*LAMBDA_PLATFORM, "--python", sys.executable, "--target", str(build_dir / "python"), *pins]
        subprocess.run(install, check=True)
        subprocess.run([str(python), "-m", "compileall", "-q", str(build_dir / "python")], check=True)
        (build_dir / ".complete").touch()
    return build_dir / "python"


def _lambda_environment(base: dict[str, str], name: str, layout: Layout) -> dict[str, str]:
    """What Lambda gives the function (its catalog environment over the local platform's), writing no bytecode."""
    catalog = resource_environment(CATALOG_BY_NAME[name], physical_names())
    return {**base, **catalog, "LAMBDA_TASK_ROOT": str(layout.task), "PYTHONDONTWRITEBYTECODE": "1"}


def _timed_in_child(layout: Layout, setup: str, timed: str, environment: dict[str, str], runs: int) -> Timing:
    """Medians of the wall and CPU time a fresh interpreter spends on `timed` right after `setup`, and how many
    modules it compiled from source meanwhile."""
    code = f"{setup}\n{_COUNT_COMPILED_FROM_SOURCE}import time as _t\n_w, _c = _t.perf_counter(), _t.process_time()\n"
    code += f"{timed}\nprint(_t.perf_counter() - _w, _t.process_time() - _c, len(_compiled))"
    samples = []
    for _ in range(runs):
        result = subprocess.run(
            layout.command(code), check=True, cwd=layout.task, env=environment, capture_output=True, text=True
        )
        wall, cpu, compiled = result.stdout.strip().splitlines()[-1].split()
        samples.append(Timing(float(wall), float(cpu), int(compiled)))
    return Timing(
        statistics.median(sample.wall for sample in samples),
        statistics.median(sample.cpu for sample in samples),
        max(sample.compiled for sample in samples),
    )


def _files_under(*roots: Path) -> set[Path]:
    return {path for root in roots for path in root.rglob("*")}


def _import_row(spec: FunctionSpec, layout: Layout, environment: dict[str, str], work: Path) -> str:
    module = spec.handler_module
    shipped = _timed_in_child(layout, "", f"import {module}", environment, RUNS)
    as_before = layout.without_bytecode(work / "before" / spec.name, work / "before" / "layer")
    before = _timed_in_child(as_before, "", f"import {module}", environment, RUNS_BEFORE)
    kind = "http" if spec.is_http else "event"
    target = TARGET_SECONDS[kind]
    verdict = "ok" if shipped.wall <= target else "OVER TARGET"
    if shipped.wall > target >= shipped.cpu:
        verdict += " (its CPU time is within: a loaded machine?)"
    columns = [f"{shipped.wall * 1000:.0f}ms", f"{shipped.cpu * 1000:.0f}ms", str(shipped.compiled)]
    columns += [f"{before.wall * 1000:.0f}ms", f"{before.cpu * 1000:.0f}ms", f"{target * 1000:.0f}ms"]
    return _row(spec.name, kind, *columns, verdict)


_NAME_WIDTH = max(len(spec.name) for spec in CATALOG) + 2


def _row(name: str, kind: str, *columns: str) -> str:
    *measured, verdict = columns
    return f"{name:<{_NAME_WIDTH}}{kind:<7}" + "".join(f"{column:>9}" for column in measured) + f"  {verdict}"


def main() -> None:
    python = find_runtime_python()
    if python is None:
        print(f"not measured: no Python {RUNTIME_PYTHON_VERSION} (Lambda's runtime) on PATH or in pyenv, and the")
        print("bundles' bytecode is for that version only (make synth would refuse to bundle without it too)")
        return
    version = subprocess.run([str(python), "-VV"], check=True, capture_output=True, text=True).stdout.split("\n")[0]
    print(f"interpreter: {python} ({version})")
    with tempfile.TemporaryDirectory(prefix="cold-start-") as directory:
        _report(python, Path(directory))


def _report(python: Path, work: Path) -> None:
    layer, provided = build_dependency_layer() / "python", _provided_by_aws(python)
    base = {"PATH": os.environ["PATH"], "LANG": "C.UTF-8", "TZ": ":UTC", **local_environment("http://127.0.0.1:9")}
    issuer = LocalIssuer(work / "issuer")
    base["FORGE_AUTH_JWKS_URL"] = issuer.jwks_url
    base["BENCH_TOKEN"] = issuer.mint("platform-admin@bench", platform_admin=True)
    layouts: dict[str, Layout] = {}
    for spec in CATALOG:
        build_function_code(spec.name, work / "task" / spec.name)
        layouts[spec.name] = Layout(python, work / "task" / spec.name, layer, provided)
    shipped_files = _files_under(work / "task", layer, provided)
    load_before = os.getloadavg()[0]
    print(f"handler import per function from its bundle (medians of {RUNS}): as shipped (wall, CPU, modules the")
    print("import compiled from source), and from the same bundle and layer without their bytecode (as shipped before,")
    print(f"medians of {RUNS_BEFORE})")
    print(_row("function", "kind", "shipped", "CPU", "compiled", "before", "CPU", "target", "verdict"))
    for spec in CATALOG:
        layout = layouts[spec.name]
        print(_import_row(spec, layout, _lambda_environment(base, spec.name, layout), work), flush=True)
    print("first invocation after the import, as shipped (in-process work only; no AWS calls are made):")
    for label, name, setup, timed in FIRST_INVOCATIONS:
        timing = _timed_in_child(layouts[name], setup, timed, _lambda_environment(base, name, layouts[name]), RUNS)
        compiled = f" ({timing.compiled} modules compiled from source)" if timing.compiled else ""
        print(f"  {label:<66}{timing.wall * 1000:>6.0f} ms{compiled}")
    load_after = os.getloadavg()[0]
    written = sorted(str(path) for path in _files_under(work / "task", layer, provided) - shipped_files)
    print(f"files written into the layout during the runs: {len(written)} {written[:3] if written else ''}")
    print(f"load average: {load_before:.1f} before, {load_after:.1f} after (on a loaded machine trust the CPU column)")
