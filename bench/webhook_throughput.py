"""Webhook → transform → respond on the local platform: executions/s, p50/p99 latency, peak memory, exactly-once;
and DynamoDB round trips per delivery and per execution status update, counted in-process with botocore hooks.

Each delivery uses the endpoint's synchronous mode, so its latency is the whole path: verify, start, run, the
status change reaching the record (the local watcher stands in for EventBridge), and the answer. One in ten
deliveries repeats an earlier webhook id, as a sender's retry would; each unique id must start exactly one
execution.

`BENCH_WEBHOOK_DELIVERIES` overrides the deliveries per concurrency level, e.g. `1:20,8:100,32:400` for a quick run.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench._processes import cpu_seconds, process_tree, resident_mib

DELIVERIES = {1: 100, 8: 400, 32: 2000}
DELIVERIES_VARIABLE = "BENCH_WEBHOOK_DELIVERIES"
DUPLICATE_EVERY = 10
_SYNC_TIMEOUT = {"response_timeout_seconds": 25}
TARGET_EXECUTIONS_PER_SECOND = 150
TARGET_DELIVERY_ROUND_TRIPS = 3
TARGET_STATUS_ROUND_TRIPS = 2
WORKFLOW = {
    "name": "bench webhook",
    "nodes": [
        {"id": "start", "type": "webhook", "params": {"respond": "with_output"}},
        {"id": "shape", "type": "transform", "params": {"expression": "{'ok': true, 'id': $states.input.body.id}"}},
    ],
    "edges": [{"from": "start", "to": "shape"}],
}


def _deliveries() -> dict[int, int]:
    configured = os.environ.get(DELIVERIES_VARIABLE, "").strip()
    if not configured:
        return DELIVERIES
    levels = (level.split(":", 1) for level in configured.split(","))
    return {int(concurrency): int(count) for concurrency, count in levels}


def _signed(secret: str, message_id: str, body: bytes) -> dict[str, str]:
    from shared.triggers.webhook_signatures import sign_standard_webhook

    timestamp = int(time.time())
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign_standard_webhook(secret, message_id, timestamp, body),
    }


def _delivery_ids(count: int) -> list[str]:
    unique = [f"msg_{uuid.uuid4().hex}" for _ in range(count - count // DUPLICATE_EVERY)]
    repeats = unique[: count - len(unique)]
    # Each repeat follows its original by a few places, so some arrive while the first is still running.
    ids: list[str] = []
    for position, message_id in enumerate(unique):
        ids.append(message_id)
        if position >= 3 and position - 3 < len(repeats):
            ids.append(repeats[position - 3])
    return ids


def _resident(platform: Any) -> float:
    return resident_mib(process_tree(platform.process.pid))


def _all_executions(client: Any, headers: dict[str, str], source: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 200, "trigger": "webhook", **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/executions", params=params, headers=headers).json()
        items += [item for item in page["items"] if item["source"] == source]
        cursor = page["next_cursor"]
        if not cursor:
            return items


def _throughput() -> None:
    from bench._local_tenant import local_tenant

    with local_tenant() as tenant:
        client, platform, owner = tenant.client, tenant.platform, tenant.owner
        workflow_id = client.post("/v1/workflows", headers=owner, json=WORKFLOW).json()["id"]
        client.post(f"/v1/workflows/{workflow_id}/publish", headers=owner, json={})
        print(
            f"{'concurrency':>11}{'deliveries':>11}{'unique':>8}{'exec/s':>8}{'p50 ms':>8}{'p99 ms':>8}"
            f"{'lost':>6}{'dup':>5}{'late':>6}{'cpu ms/exec':>13}{'rss MiB':>9}"
        )
        levels = [
            _run_level(client, platform, owner, workflow_id, concurrency, count)
            for concurrency, count in _deliveries().items()
        ]
        _report_ceiling(*levels[-1])
        print(f"resident memory of forge dev and its workers at the end: {_resident(platform):.0f} MiB")


def _report_ceiling(executions_per_second: float, cpu_ms_per_execution: float) -> None:
    """What the CPU an execution costs (over forge dev's processes) allows with every core busy."""
    every_core = 1000 / cpu_ms_per_execution * (os.cpu_count() or 1)
    print(
        f"at the highest concurrency: {executions_per_second:.1f} exec/s (target ≥ {TARGET_EXECUTIONS_PER_SECOND});"
        f" {cpu_ms_per_execution:.1f} ms CPU an execution allows at most {every_core:.0f} exec/s with all"
        f" {os.cpu_count()} cores busy"
    )


def _run_level(
    client: Any, platform: Any, owner: dict[str, str], workflow_id: str, concurrency: int, count: int
) -> tuple[float, float]:
    import httpx

    hook = client.post(
        "/v1/hooks",
        headers=owner,
        json={
            "workflow_id": workflow_id,
            "name": f"c{concurrency}",
            "response_mode": "sync",
            "response_timeout_seconds": 25,
        },
    ).json()
    ids = _delivery_ids(count)
    local = threading.local()

    def deliver(message_id: str) -> tuple[str, int, float]:
        if not hasattr(local, "client"):
            local.client = httpx.Client(base_url=platform.url, timeout=60.0)
        body = json.dumps({"id": message_id}).encode()
        started = time.perf_counter()
        try:
            status = local.client.post(
                hook["url"], content=body, headers=_signed(hook["secret"], message_id, body)
            ).status_code
        except httpx.TimeoutException:
            status = 0  # counted as refused; the execution, if any, is still found by listing
        return message_id, status, (time.perf_counter() - started) * 1000

    cpu_before = cpu_seconds(process_tree(platform.process.pid))
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        results = list(pool.map(deliver, ids))
    elapsed = time.perf_counter() - started
    cpu = cpu_seconds(process_tree(platform.process.pid)) - cpu_before
    unique = set(ids)
    in_time = {message_id for message_id, status, _ in results if status == 200}
    executions = _all_executions(client, owner, hook["hook_id"])
    latencies = [latency for _, _, latency in results]
    p99 = statistics.quantiles(latencies, n=100)[98] if len(latencies) >= 2 else latencies[0]
    # Lost: fewer executions than unique ids; duplicated: more. Late: no 200 answer within the sync timeout.
    lost = max(0, len(unique) - len(executions))
    duplicated = max(0, len(executions) - len(unique))
    print(
        f"{concurrency:>11}{len(ids):>11}{len(unique):>8}{len(unique) / elapsed:>8.1f}"
        f"{statistics.median(latencies):>8.0f}{p99:>8.0f}{lost:>6}{duplicated:>5}{len(unique - in_time):>6}"
        f"{cpu * 1000 / len(unique):>13.1f}{_resident(platform):>9.0f}"
    )
    return len(unique) / elapsed, cpu * 1000 / len(unique)


class _DynamoDbCalls:
    def __init__(self) -> None:
        self.count = 0

    def before(self, **_: Any) -> None:
        self.count += 1


def _round_trips() -> None:
    calls = _DynamoDbCalls()
    from botocore.handlers import BUILTIN_HANDLERS

    BUILTIN_HANDLERS.append(("before-call.dynamodb", calls.before))
    from devserver.emulation import local_environment

    os.environ.update(local_environment("http://unused"))
    os.environ.pop("AWS_ENDPOINT_URL")
    import boto3
    from fastapi.testclient import TestClient
    from moto import mock_aws

    from devserver.dynamodb_atomicity import install_dynamodb_atomicity
    from devserver.emulation import LOCAL_ACCOUNT, LOCAL_PREFIX, LOCAL_REGION, ResourceProvisioner
    from devserver.issuer import LocalIssuer
    from devserver.lambda_runtime import LocalLambdaRuntime
    from devserver.stepfunctions_runtime import install_stepfunctions_runtime

    install_stepfunctions_runtime()
    install_dynamodb_atomicity()
    with (
        tempfile.TemporaryDirectory() as state_dir,
        mock_aws(config={"stepfunctions": {"execute_state_machine": True}}),
    ):
        issuer = LocalIssuer(Path(state_dir))
        issuer.private_key()
        os.environ["FORGE_AUTH_JWKS_URL"] = issuer.jwks_url
        runtime = LocalLambdaRuntime(LOCAL_PREFIX, LOCAL_REGION, LOCAL_ACCOUNT)
        runtime.install()
        ResourceProvisioner(lambda service: boto3.client(service, region_name=LOCAL_REGION), runtime).provision()  # type: ignore[call-overload]
        from bench._local_tenant import tenant_owner
        from devserver.api import create_platform_api
        from devserver.execution_watcher import status_change_event
        from shared.executions.error_workflows import start_error_workflow
        from shared.executions.record import apply_status_change
        from shared.triggers.webhooks import receive_delivery

        api = TestClient(create_platform_api(issuer))
        owner = tenant_owner(api, issuer, "trips")
        workflow_id = api.post("/v1/workflows", headers=owner, json=WORKFLOW).json()["id"]
        api.post(f"/v1/workflows/{workflow_id}/publish", headers=owner, json={})
        hook = api.post("/v1/hooks", headers=owner, json={"workflow_id": workflow_id, "name": "trips"}).json()

        delivery_trips, status_trips = [], []
        for attempt in range(11):
            body = json.dumps({"id": attempt}).encode()
            message_id = f"msg_{attempt}"
            before = calls.count
            _, execution, _ = receive_delivery(
                hook["hook_id"], _signed(hook["secret"], message_id, body), body, after_end=start_error_workflow
            )
            if attempt:  # the first delivery fills the container's caches (tenant standing, version, secret)
                delivery_trips.append(calls.count - before)
            sfn = boto3.client("stepfunctions", region_name=LOCAL_REGION)
            while (described := sfn.describe_execution(executionArn=execution.execution_arn))["status"] == "RUNNING":
                time.sleep(0.02)
            before = calls.count
            apply_status_change(status_change_event(dict(described), LOCAL_ACCOUNT, LOCAL_REGION)["detail"])
            status_trips.append(calls.count - before)
    delivery = statistics.median(delivery_trips)
    status = statistics.median(status_trips)
    print(
        f"DynamoDB round trips per delivery: {delivery:.0f} (max {max(delivery_trips)}; target ≤ "
        f"{TARGET_DELIVERY_ROUND_TRIPS}  {'ok' if delivery <= TARGET_DELIVERY_ROUND_TRIPS else 'OVER TARGET'})"
    )
    print(
        f"DynamoDB round trips per status update (execution ended): {status:.0f} (target ≤ "
        f"{TARGET_STATUS_ROUND_TRIPS}  {'ok' if status <= TARGET_STATUS_ROUND_TRIPS else 'OVER TARGET'})"
    )


def main() -> None:
    _round_trips()
    _throughput()
