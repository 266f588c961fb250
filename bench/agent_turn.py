"""The agent node's platform overhead per model turn, with a scripted model: CPU ms and AWS round trips per turn.

node_agent's handler runs in-process against the emulation (moto) and the scripted Converse model on 127.0.0.1
(devserver/scripted_converse.py). Each conversation is the loop the compiled states drive: a turn asking for two
tools, a turn with their results asking for one more, a final turn; memory on (a conversation key). The tool
results are what the compiled tool states hand back. CPU time is the calling thread's (`time.thread_time`): the
handler, botocore serialising and parsing the Converse call, the emulated S3/DynamoDB clients' own work; not the
model server's thread. Round trips are counted per service with botocore hooks.

Targets (issue 13): ≤ 30 ms CPU per turn locally; ≤ 2 DynamoDB round trips per turn.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections import Counter
from typing import Any

CONVERSATIONS = 30
TARGET_CPU_MS = 30.0
TARGET_DYNAMODB_ROUND_TRIPS = 2
TENANT_ID = "tenantbench01"
TOOLS = [
    {"name": "calculator", "description": "arithmetic", "inputSchema": {"type": "object", "properties": {}}},
    {"name": "lookup", "description": "looks up", "inputSchema": {"type": "object", "properties": {}}},
]


class _AwsCalls:
    def __init__(self) -> None:
        self.by_service: Counter[str] = Counter()

    def before(self, model: Any, **_: Any) -> None:
        self.by_service[model.service_model.service_name] += 1


def _script(body: dict[str, Any]) -> dict[str, Any]:
    from devserver.scripted_converse import answer, tool_calls

    # Earlier exchanges from memory come first: this conversation's turn is the number of tool results so far.
    turn = sum(1 for message in body["messages"] if any("toolResult" in block for block in message["content"]))
    if turn == 0:
        return tool_calls(("a", "calculator", {"expression": "6 * 7"}), ("b", "lookup", {"q": "x" * 200}))
    if turn == 1:
        return tool_calls(("c", "lookup", {"q": "more"}))
    return answer("42")


def _results(state: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "toolUseId": call["toolUseId"],
            "name": call["name"],
            "status": "success",
            "result": {"value": 42},
            "bytes": 12,
        }
        for call in state["pending"]
    ]


def _conversation(handler: Any, context: Any, number: int) -> list[float]:
    config = {
        "model": {"provider": "bedrock", "model_id": "bench.model"},
        "tools": TOOLS,
        "max_turns": 8,
        "max_tokens": 512,
        "memory_window": 5,
    }
    base = {
        "action": "turn",
        "tenant_id": TENANT_ID,
        "workflow_id": "bench",
        "node_id": "assistant",
        "execution_id": f"arn:aws:states:us-east-1:123456789012:execution:bench:run{number}",
        "agent": json.dumps(config),
    }
    state: dict[str, Any] = {"prompt": "What is six times seven?", "conversation_key": f"user-{number % 5}"}
    timings = []
    while True:
        started = time.thread_time()
        state = handler({**base, "state": state}, context)
        timings.append((time.thread_time() - started) * 1000)
        if state["status"] != "tool_calls":
            return timings
        state = {**state, "tool_results": _results(state)}


def main() -> None:
    from botocore.handlers import BUILTIN_HANDLERS

    calls = _AwsCalls()
    BUILTIN_HANDLERS.append(("before-call", calls.before))

    from devserver.emulation import local_environment

    os.environ.update(local_environment("http://unused"))
    os.environ.pop("AWS_ENDPOINT_URL")
    import boto3
    from moto import mock_aws

    from devserver.emulation import LOCAL_ACCOUNT, LOCAL_PREFIX, LOCAL_REGION, ResourceProvisioner
    from devserver.lambda_runtime import LocalLambdaContext, LocalLambdaRuntime
    from devserver.scripted_converse import scripted_model

    with mock_aws(), scripted_model(_script) as model:
        runtime = LocalLambdaRuntime(LOCAL_PREFIX, LOCAL_REGION, LOCAL_ACCOUNT)
        ResourceProvisioner(lambda service: boto3.client(service, region_name=LOCAL_REGION), runtime).provision()  # type: ignore[call-overload]
        from functions.node_agent.handler import handler

        context = LocalLambdaContext("bench-node-agent", "arn:aws:lambda:::function:bench", 512, 300)
        _conversation(handler, context, -1)  # warm: clients built, modules imported
        calls.by_service.clear()
        sent = len(model.requests)
        timings: list[float] = []
        for number in range(CONVERSATIONS):
            timings += _conversation(handler, context, number)
        turns = len(model.requests) - sent
    assert turns == len(timings)
    per_turn = {service: count / turns for service, count in sorted(calls.by_service.items())}
    cpu_p50, cpu_p99 = statistics.median(timings), sorted(timings)[int(len(timings) * 0.99) - 1]
    dynamodb = per_turn.get("dynamodb", 0.0)
    print(f"{CONVERSATIONS} conversations, {turns} model turns (2 tool turns and a final one each, memory on)")
    print(f"  CPU per turn: p50 {cpu_p50:.2f} ms, p99 {cpu_p99:.2f} ms (target ≤ {TARGET_CPU_MS:.0f} ms)", end="  ")
    print("ok" if cpu_p50 <= TARGET_CPU_MS else "OVER TARGET")
    print("  AWS round trips per turn: " + ", ".join(f"{service} {count:.2f}" for service, count in per_turn.items()))
    print(f"  DynamoDB round trips per turn: {dynamodb:.2f} (target ≤ {TARGET_DYNAMODB_ROUND_TRIPS})", end="  ")
    print("ok" if dynamodb <= TARGET_DYNAMODB_ROUND_TRIPS else "OVER TARGET")
