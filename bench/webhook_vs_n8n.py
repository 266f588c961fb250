"""The local platform side by side with n8n: one closed-loop load generator drives both, alternately, at c=1, 8, 32.

Ours: a signed webhook → transform → sync response (bench/webhook_throughput.py's workflow, one in ten deliveries
repeating an earlier webhook id, each unique id to start exactly one execution). n8n 1.123.81 (SQLite, defaults):
Webhook → Set with "respond with last node". Printed per side and level: requests/s, p50/p99, the ratio to n8n, CPU
ms per execution and peak memory (RSS summed, and PSS: shared pages once; the target is read on PSS, see
bench/_processes.py), both over every process of the side (forge dev and its API workers; n8n and its children),
and for ours what was lost or duplicated.

n8n is installed on demand with npm into bench/.n8n/ (ignored by git, never a test dependency); without npm or
the network the benchmark says so and measures our side alone. `BENCH_N8N_DELIVERIES` overrides the requests per
level, e.g. `1:50,8:100,32:300`.
"""

from __future__ import annotations

import collections
import contextlib
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench._processes import cpu_seconds, process_tree, proportional_by_process, resident_mib
from bench.webhook_throughput import WORKFLOW, _all_executions, _delivery_ids, _signed

N8N_VERSION = "1.123.81"
N8N_DIRECTORY = Path(__file__).parent / ".n8n"
DELIVERIES = {1: 200, 8: 400, 32: 1000}
DELIVERIES_VARIABLE = "BENCH_N8N_DELIVERIES"
TARGET_RATIO_FLOOR = 1.0
TARGET_RATIO_GOAL = 1.5
TARGET_C1_P50_RATIO = 2.0
TARGET_CPU_MS = 20.0
N8N_PATH = "forge-bench"
N8N_WORKFLOW = {
    "id": "forgebench0000001",
    "name": "Webhook to Set",
    "active": False,
    "nodes": [
        {
            "id": str(uuid.UUID(int=1)),
            "name": "Webhook",
            "type": "n8n-nodes-base.webhook",
            "typeVersion": 2,
            "position": [0, 0],
            "webhookId": str(uuid.UUID(int=2)),
            "parameters": {"httpMethod": "POST", "path": N8N_PATH, "responseMode": "lastNode", "options": {}},
        },
        {
            "id": str(uuid.UUID(int=3)),
            "name": "Set",
            "type": "n8n-nodes-base.set",
            "typeVersion": 3.4,
            "position": [200, 0],
            "parameters": {
                "assignments": {
                    "assignments": [
                        {"id": "ok", "name": "ok", "value": True, "type": "boolean"},
                        {"id": "id", "name": "id", "value": "={{ $json.body.id }}", "type": "string"},
                    ]
                },
                "options": {},
            },
        },
    ],
    "connections": {"Webhook": {"main": [[{"node": "Set", "type": "main", "index": 0}]]}},
    "settings": {"executionOrder": "v1"},
}


@dataclass
class Level:
    side: str
    concurrency: int
    requests: int
    per_second: float
    p50_ms: float
    p99_ms: float
    cpu_ms: float
    peak_mib: float
    peak_pss_mib: float = 0.0
    # At the peak: the root process's PSS and its descendants', largest first.
    peak_pss_by_process: tuple[float, ...] = ()
    lost: int | None = None
    duplicated: int | None = None
    # The load generator's own CPU per request: it shares the machine with the side it drives.
    client_cpu_ms: float = 0.0
    # n8n's failed requests by what they got: an HTTP status, 0 for a time-out, -1 for an answer not its own.
    failures: dict[int, int] = field(default_factory=dict)


def _deliveries() -> dict[int, int]:
    configured = os.environ.get(DELIVERIES_VARIABLE, "").strip()
    if not configured:
        return DELIVERIES
    return {int(level): int(count) for level, count in (item.split(":", 1) for item in configured.split(","))}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class PeakMemory:
    """Samples the memory of a process tree while a level runs: resident (RSS, summed over its processes) and
    proportional (PSS, shared pages counted once; see bench/_processes.py)."""

    def __init__(self, root: int) -> None:
        self.root = root
        self.peak = 0.0
        self.peak_proportional = 0.0
        self.peak_by_process: tuple[float, ...] = ()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while True:
            tree = process_tree(self.root)
            self.peak = max(self.peak, resident_mib(tree))
            sizes = proportional_by_process(tree)
            if sum(sizes.values()) > self.peak_proportional:
                self.peak_proportional = sum(sizes.values())
                root = sizes.pop(self.root, 0.0)
                self.peak_by_process = (root, *sorted(sizes.values(), reverse=True))
            if self._stop.wait(0.25):
                return


class _KeepAliveClient:
    """One persistent HTTP/1.1 connection per load-generator thread, on the standard library's client: the
    generator's CPU competes with whichever side is CPU-bound (httpx took 3.5 ms a request here, this about 1)."""

    IDLE_SECONDS = 1.0

    def __init__(self) -> None:
        self._connection: http.client.HTTPConnection | None = None
        self._last_used = 0.0

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        parts = urlsplit(url)
        # A connection idle past the servers' keep-alive window may be closed under us: a POST is never re-sent.
        if self._connection is None or time.monotonic() - self._last_used > self.IDLE_SECONDS:
            self.close()
            self._connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=60.0)
        try:
            self._connection.request("POST", parts.path, body, {**headers, "content-length": str(len(body))})
            answer = self._connection.getresponse()
            content = answer.read()
        except Exception:
            self.close()
            raise
        self._last_used = time.monotonic()
        return answer.status, content

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def _drive(
    root: int, concurrency: int, requests: list[Any], send: Callable[[_KeepAliveClient, Any], int]
) -> tuple[float, list[float], float, float, PeakMemory, list[int]]:
    """Closed loop: `concurrency` threads, each sending its next request once the last is answered. Returns the
    elapsed seconds, latencies, the side's CPU seconds, the load generator's CPU seconds, the peak memory and
    statuses."""
    local = threading.local()
    clients: list[_KeepAliveClient] = []

    def one(request: Any) -> tuple[int, float]:
        if not hasattr(local, "client"):
            local.client = _KeepAliveClient()
            clients.append(local.client)
        started = time.perf_counter()
        try:
            status = send(local.client, request)
        except TimeoutError:
            status = 0
        return status, (time.perf_counter() - started) * 1000

    pids = process_tree(root)
    cpu_before = cpu_seconds(pids)
    with PeakMemory(root) as memory, ThreadPoolExecutor(max_workers=concurrency) as pool:
        generator_before = os.times()
        started = time.perf_counter()
        results = list(pool.map(one, requests))
        elapsed = time.perf_counter() - started
        generator_after = os.times()
    for client in clients:
        client.close()
    cpu = cpu_seconds(process_tree(root)) - cpu_before
    generator = (generator_after.user + generator_after.system) - (generator_before.user + generator_before.system)
    return elapsed, [latency for _, latency in results], cpu, generator, memory, [status for status, _ in results]


def _level(
    side: str, concurrency: int, count: int, elapsed: float, latencies: list[float], cpu: float, generator: float
) -> Level:
    p99 = statistics.quantiles(latencies, n=100)[98] if len(latencies) >= 2 else latencies[0]
    level = Level(side, concurrency, count, count / elapsed, statistics.median(latencies), p99, cpu * 1000 / count, 0)
    level.client_cpu_ms = generator * 1000 / len(latencies)
    return level


# --- n8n -------------------------------------------------------------------------------------------------------


def _n8n_installed() -> Path | None:
    """The n8n entry point, installing it first if needed; None (and why, printed) when it cannot be."""
    entry = N8N_DIRECTORY / "node_modules" / "n8n" / "bin" / "n8n"
    if entry.exists():
        return entry
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        print("n8n: not measured (node and npm are needed to install it)")
        return None
    N8N_DIRECTORY.mkdir(parents=True, exist_ok=True)
    package = {
        "name": "forge-bench-n8n",
        "private": True,
        "dependencies": {"n8n": N8N_VERSION},
        # n8n's own pin points at a tarball off the registry; the registry's last release of the same library.
        "overrides": {"xlsx": "0.18.5"},
    }
    (N8N_DIRECTORY / "package.json").write_text(json.dumps(package, indent=2))
    print(f"n8n: installing n8n@{N8N_VERSION} into {N8N_DIRECTORY} (once; a few minutes)...", flush=True)
    for command in (
        [npm, "install", "--ignore-scripts", "--no-audit", "--no-fund"],
        [npm, "rebuild", "sqlite3"],
    ):
        done = subprocess.run(command, cwd=N8N_DIRECTORY, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(f"n8n: not measured ({' '.join(command[1:3])} failed: {done.stderr.strip()[-300:]})")
            return None
    return entry if entry.exists() else None


@contextmanager
def _n8n(entry: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """n8n with the Webhook → Set workflow imported and active, on a free port; its webhook URL."""
    import httpx

    with tempfile.TemporaryDirectory() as home:
        port = _free_port()
        environment = {
            **{key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "FORGE_"))},
            "N8N_USER_FOLDER": home,
            "N8N_PORT": str(port),
            "N8N_LISTEN_ADDRESS": "127.0.0.1",
            "N8N_EXPRESSION_ENGINE": "legacy",
            "N8N_RUNNERS_ENABLED": "false",
            "N8N_DIAGNOSTICS_ENABLED": "false",
            "N8N_VERSION_NOTIFICATIONS_ENABLED": "false",
            "N8N_PERSONALIZATION_ENABLED": "false",
            "N8N_SECURE_COOKIE": "false",
            "N8N_LOG_LEVEL": "warn",
        }
        workflow = Path(home) / "workflow.json"
        workflow.write_text(json.dumps(N8N_WORKFLOW))
        for arguments in (
            ["import:workflow", f"--input={workflow}"],
            ["update:workflow", f"--id={N8N_WORKFLOW['id']}", "--active=true"],
        ):
            subprocess.run(
                ["node", str(entry), *arguments], env=environment, capture_output=True, check=True, timeout=300
            )
        process = subprocess.Popen(
            ["node", str(entry), "start"], env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        url = f"http://127.0.0.1:{port}/webhook/{N8N_PATH}"
        try:
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:
                try:
                    if httpx.post(url, json={"id": "warm-up"}, timeout=5).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.5)
            else:
                raise RuntimeError("n8n did not answer its webhook within 300 s")
            yield process, url
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _run_n8n(process: subprocess.Popen[bytes], url: str, concurrency: int, count: int) -> Level:
    ids = [f"msg_{uuid.uuid4().hex}" for _ in range(count)]

    def send(client: _KeepAliveClient, message_id: str) -> int:
        status, content = client.post(
            url, json.dumps({"id": message_id}).encode(), {"content-type": "application/json"}
        )
        return status if status != 200 or json.loads(content).get("id") == message_id else -1

    elapsed, latencies, cpu, generator, memory, statuses = _drive(process.pid, concurrency, ids, send)
    level = _level("n8n", concurrency, count, elapsed, latencies, cpu, generator)
    level.peak_mib, level.peak_pss_mib = memory.peak, memory.peak_proportional
    level.lost = sum(1 for status in statuses if status != 200)
    level.failures = dict(collections.Counter(status for status in statuses if status != 200))
    return level


# --- ours ------------------------------------------------------------------------------------------------------


def _run_ours(tenant: Any, workflow_id: str, concurrency: int, count: int) -> Level:
    client, platform, owner = tenant.client, tenant.platform, tenant.owner
    hook = client.post(
        "/v1/hooks",
        headers=owner,
        json={
            "workflow_id": workflow_id,
            "name": f"n8n-c{concurrency}-{uuid.uuid4().hex[:6]}",
            "response_mode": "sync",
        },
    ).json()
    ids = _delivery_ids(count)

    def send(client: _KeepAliveClient, message_id: str) -> int:
        body = json.dumps({"id": message_id}).encode()
        status, _ = client.post(f"{platform.url}{hook['url']}", body, _signed(hook["secret"], message_id, body))
        return status

    elapsed, latencies, cpu, generator, memory, _ = _drive(platform.process.pid, concurrency, ids, send)
    unique = len(set(ids))
    executions = len(_all_executions(client, owner, hook["hook_id"]))
    # Executions, not requests, are compared: the repeated ids are answered without a second run.
    level = _level("forge dev", concurrency, unique, elapsed, latencies, cpu, generator)
    level.peak_mib, level.peak_pss_mib = memory.peak, memory.peak_proportional
    level.peak_pss_by_process = memory.peak_by_process
    level.lost = max(0, unique - executions)
    level.duplicated = max(0, executions - unique)
    return level


def _report(ours: Level, theirs: Level | None) -> None:
    for level in (theirs, ours):
        if level is None:
            continue
        ratio = f"{ours.per_second / theirs.per_second:>7.2f}x" if theirs is not None and level is ours else " " * 8
        failures = ", ".join(f"{count} x {status}" for status, count in sorted(level.failures.items()))
        checks = (
            f"lost {level.lost} dup {level.duplicated}"
            if level.duplicated is not None
            else f"failed {level.lost}" + (f" ({failures})" if failures else "")
        )
        print(
            f"{level.side:>10}{level.concurrency:>4}{level.requests:>7}{level.per_second:>8.1f}{ratio}"
            f"{level.p50_ms:>8.0f}{level.p99_ms:>8.0f}{level.cpu_ms:>9.1f}{level.peak_mib:>9.0f}"
            f"{level.peak_pss_mib:>9.0f}  {checks}; load generator {level.client_cpu_ms:.1f} ms a request",
            flush=True,
        )
    if ours.peak_pss_by_process:
        emulation, *workers = ours.peak_pss_by_process
        print(
            f"{'':>14}forge dev's PSS at its peak: emulation {emulation:.0f} MiB, API workers "
            + ", ".join(f"{worker:.0f}" for worker in workers)
            + " MiB",
            flush=True,
        )


def _verdict(results: list[tuple[Level, Level | None]]) -> None:
    top_ours, top_theirs = results[-1]
    print(f"CPU per execution at c={top_ours.concurrency}: {top_ours.cpu_ms:.1f} ms (target ≤ {TARGET_CPU_MS:.0f})")
    if top_theirs is None:
        return
    ratio = top_ours.per_second / top_theirs.per_second
    print(
        f"c={top_ours.concurrency}: {ratio:.2f}x n8n's executions/s (floor {TARGET_RATIO_FLOOR}x, goal "
        f"{TARGET_RATIO_GOAL}x); p99 {top_ours.p99_ms:.0f} ms vs {top_theirs.p99_ms:.0f} ms"
    )
    first_ours, first_theirs = results[0]
    if first_theirs is not None:
        print(
            f"c={first_ours.concurrency}: p50 {first_ours.p50_ms:.0f} ms, "
            f"{first_ours.p50_ms / first_theirs.p50_ms:.1f}x n8n's (target ≤ {TARGET_C1_P50_RATIO:.0f}x)"
        )
    for label, attribute in (("proportional (PSS)", "peak_pss_mib"), ("resident (RSS)", "peak_mib")):
        ours_peak = max(getattr(ours, attribute) for ours, _ in results)
        theirs_peak = max(getattr(theirs, attribute) for _, theirs in results if theirs is not None)
        print(f"peak {label} memory: forge dev {ours_peak:.0f} MiB, n8n {theirs_peak:.0f} MiB (target: no more)")


def main() -> None:
    from bench._local_tenant import local_tenant

    entry = _n8n_installed()
    with contextlib.ExitStack() as stack:
        # Ours first: n8n's own start would slow forge dev's on a busy machine.
        tenant = stack.enter_context(local_tenant())
        n8n = stack.enter_context(_n8n(entry)) if entry is not None else None
        workflow_id = tenant.client.post("/v1/workflows", headers=tenant.owner, json=WORKFLOW).json()["id"]
        tenant.client.post(f"/v1/workflows/{workflow_id}/publish", headers=tenant.owner, json={})
        print(
            f"{'side':>10}{'c':>4}{'execs':>7}{'exec/s':>8}{'ratio':>8}{'p50 ms':>8}{'p99 ms':>8}"
            f"{'cpu ms':>9}{'rss MiB':>9}{'pss MiB':>9}"
        )
        results = []
        for concurrency, count in _deliveries().items():
            theirs = _run_n8n(*n8n, concurrency, count) if n8n is not None else None
            ours = _run_ours(tenant, workflow_id, concurrency, count)
            _report(ours, theirs)
            results.append((ours, theirs))
        _verdict(results)
