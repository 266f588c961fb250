"""How long `/v1/health` of `forge dev` takes while a runaway expression runs, and how long the expression runs.

Three cases, each with /v1/health requested one after another for as long as the execution runs:
- idle: no execution;
- a published workflow whose transform recurses for ever (`$f($n + 1)`): it passes validation, and fails at the
  evaluation's time limit;
- state machines made directly in the emulation (validation now refuses them) whose Pass state matches `/(a+)+$/`
  (the regex module, unlike Python's re, which took minutes holding the GIL, fails it at once) and `/(a|a)*$/`
  (exponential in the regex module too) against 40 a's and a b.

The target: a runaway expression adds no more than tens of milliseconds to another request. Before the limits, the
regular expression held every request for the whole match (about 10 s at 28 characters, doubling with each one).
"""

from __future__ import annotations

import json
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

TAIL_RECURSION = "($f := function($n){ $f($n + 1) }; $f(0))"
CATASTROPHIC_MATCHES = ("$match($states.input.text, /(a+)+$/)", "$match($states.input.text, /(a|a)*$/)")
CATASTROPHIC_TEXT = "a" * 40 + "b"
IDLE_SECONDS = 3.0
TARGET_P99_MS = 100.0


def _health_latencies(client: Any, running: Callable[[], bool]) -> list[float]:
    latencies: list[float] = []
    while running():
        started = time.perf_counter()
        client.get("/v1/health").raise_for_status()
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def _report(case: str, latencies: list[float], ran: float, ended: str) -> None:
    p99 = statistics.quantiles(latencies, n=100, method="inclusive")[98] if len(latencies) >= 2 else latencies[0]
    verdict = "ok" if p99 <= TARGET_P99_MS else "OVER TARGET"
    print(
        f"{case:<28}{len(latencies):>9}{statistics.median(latencies):>8.1f}{p99:>8.1f}{max(latencies):>8.1f}"
        f"{ran:>8.1f}  {ended}  {verdict}"
    )


def _run_machine(client: Any, sfn: Any, expression: str) -> None:
    from devserver.emulation import LOCAL_ACCOUNT

    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "match",
        "States": {"match": {"Type": "Pass", "Output": "{% " + expression + " %}", "End": True}},
    }
    machine = sfn.create_state_machine(
        name=f"bench-regex-{uuid.uuid4().hex[:8]}",
        definition=json.dumps(definition),
        roleArn=f"arn:aws:iam::{LOCAL_ACCOUNT}:role/bench",
    )["stateMachineArn"]
    started = time.monotonic()
    execution_arn = sfn.start_execution(stateMachineArn=machine, input=json.dumps({"text": CATASTROPHIC_TEXT}))[
        "executionArn"
    ]

    def status() -> str:
        return str(sfn.describe_execution(executionArn=execution_arn)["status"])

    latencies = _health_latencies(client, lambda: status() == "RUNNING")
    pattern = expression.split(", ", 1)[1].rstrip(")")
    _report(f"{pattern} over 40 a's, b", latencies, time.monotonic() - started, status())


def _run_workflow(client: Any, owner: dict[str, str]) -> None:
    workflow = {
        "name": "runaway",
        "nodes": [
            {"id": "start", "type": "manual"},
            {"id": "loop", "type": "transform", "params": {"expression": TAIL_RECURSION}},
        ],
        "edges": [{"from": "start", "to": "loop"}],
    }
    workflow_id = client.post("/v1/workflows", headers=owner, json=workflow).json()["id"]
    client.post(f"/v1/workflows/{workflow_id}/publish", headers=owner, json={}).raise_for_status()
    started = time.monotonic()
    execution_id = client.post(f"/v1/workflows/{workflow_id}/executions", headers=owner, json={"input": {}}).json()[
        "execution_id"
    ]

    def status() -> str:
        return str(client.get(f"/v1/executions/{execution_id}", headers=owner).json()["status"])

    latencies = _health_latencies(client, lambda: status() == "RUNNING")
    _report("tail recursion (workflow)", latencies, time.monotonic() - started, status())


def main() -> None:
    import boto3

    from bench._local_tenant import local_tenant
    from devserver.emulation import LOCAL_REGION

    with local_tenant(timeout=120.0) as tenant:
        client = tenant.client
        print(f"{'case':<28}{'requests':>9}{'p50 ms':>8}{'p99 ms':>8}{'max ms':>8}{'ran s':>8}  ended")
        idle_until = time.monotonic() + IDLE_SECONDS
        _report("idle", _health_latencies(client, lambda: time.monotonic() < idle_until), IDLE_SECONDS, "-")
        _run_workflow(client, tenant.owner)
        sfn = boto3.client(
            "stepfunctions",
            endpoint_url=tenant.platform.aws_url,
            region_name=LOCAL_REGION,
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
        )
        for match in CATASTROPHIC_MATCHES:
            _run_machine(client, sfn, match)
        print(f"target: p99 of /v1/health ≤ {TARGET_P99_MS:.0f} ms while a runaway expression runs")
