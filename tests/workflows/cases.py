"""Golden workflows: one small graph per node type, the input it runs with and the outcome it must have."""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass, field
from typing import Any

from shared.agents.tools.canonical import CanonicalTool

TENANT_ID = "tenant0001"
WORKFLOW_ID = "golden"
CHILD_WORKFLOW_ID = "child"
GOLDEN_MCP_SERVER_ID = "mcp_golden"
GOLDEN_MCP_TOOL = CanonicalTool.model_validate(
    {
        "name": "add",
        "description": "Adds two numbers.",
        "inputSchema": {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}}},
    }
)
# A connector operation in the golden tenant's node library (as a marketplace install writes it).
GOLDEN_PRESET_ID = "acme.petstore.getPetById"
GOLDEN_PRESET = (
    "http_request",
    {
        "method": "GET",
        "server_url": "http://10.0.0.1/api/v3",
        "path": "/pet/{petId}",
        "parameters": [{"name": "petId", "location": "path", "required": True, "json_schema": {"type": "integer"}}],
        "has_body": False,
        "credential": "petstore",
    },
)
# The tenant's own topic and bus: notify and emit_event target nothing else (shared/resources.py).
TOPIC_NAME = f"forge-{TENANT_ID}-notifications"
EVENT_BUS_NAME = f"forge-{TENANT_ID}-events"
TOPIC_ARN = f"arn:aws:sns:us-east-1:123456789012:{TOPIC_NAME}"


@dataclass(frozen=True)
class GoldenCase:
    name: str
    nodes: list[dict[str, Any]]
    edges: list[dict[str, Any]]
    input: Any
    output: Any = None
    status: str = "SUCCEEDED"
    error: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    # The scripted model's answers (Bedrock Converse responses), one per model turn in order.
    model_turns: tuple[dict[str, Any], ...] = ()

    def document(self) -> dict[str, Any]:
        return copy.deepcopy({"name": self.name, "nodes": self.nodes, "edges": self.edges, "settings": self.settings})


def chain(*node_ids: str) -> list[dict[str, Any]]:
    return [{"from": source, "to": target} for source, target in itertools.pairwise(node_ids)]


def node(node_id: str, node_type: str, **params: Any) -> dict[str, Any]:
    return {"id": node_id, "type": node_type, "params": params}


START = node("start", "manual")

GOLDEN_CASES: tuple[GoldenCase, ...] = (
    GoldenCase("manual", [START], [], input={"a": 1}, output={"a": 1}),
    GoldenCase(
        "webhook",
        [node("hook", "webhook"), node("shape", "transform", expression="{'event': $states.input.type}")],
        chain("hook", "shape"),
        input={"type": "push"},
        output={"event": "push"},
    ),
    GoldenCase(
        "schedule",
        [node("tick", "schedule", expression="rate(5 minutes)", timezone="Europe/Paris")],
        [],
        input={"slot": "2026-01-01T00:00:00Z"},
        output={"slot": "2026-01-01T00:00:00Z"},
    ),
    GoldenCase(
        "transform",
        [START, node("total", "transform", expression="{'total': $sum($states.input.items.price)}")],
        chain("start", "total"),
        input={"items": [{"price": 2}, {"price": 3.5}]},
        output={"total": 5.5},
    ),
    GoldenCase(
        "condition",
        [
            START,
            node("big", "condition", expression="$states.input.amount > 100"),
            node("approve", "transform", expression="{'route': 'review'}"),
            node("auto", "transform", expression="{'route': 'auto'}"),
        ],
        [
            *chain("start", "big"),
            {"from": "big", "port": "true", "to": "approve"},
            {"from": "big", "port": "false", "to": "auto"},
        ],
        input={"amount": 250},
        output={"route": "review"},
    ),
    GoldenCase(
        "switch",
        [
            START,
            node(
                "by_tier",
                "switch",
                cases=[
                    {"port": "gold", "condition": "$states.input.tier = 'gold'"},
                    {"port": "silver", "condition": "$states.input.tier = 'silver'"},
                ],
            ),
            node("gold_discount", "transform", expression="{'discount': 20}"),
            node("silver_discount", "transform", expression="{'discount': 10}"),
            node("no_discount", "transform", expression="{'discount': 0}"),
        ],
        [
            *chain("start", "by_tier"),
            {"from": "by_tier", "port": "gold", "to": "gold_discount"},
            {"from": "by_tier", "port": "silver", "to": "silver_discount"},
            {"from": "by_tier", "port": "default", "to": "no_discount"},
        ],
        input={"tier": "silver"},
        output={"discount": 10},
    ),
    GoldenCase(
        "parallel",
        [
            START,
            node("fan_out", "parallel"),
            node("double", "transform", expression="{'double': $states.input.n * 2}"),
            node("square", "transform", expression="{'square': $states.input.n * $states.input.n}"),
            node("meet", "join", output="merge"),
        ],
        [*chain("start", "fan_out", "double", "meet"), *chain("fan_out", "square", "meet")],
        input={"n": 3},
        output={"double": 6, "square": 9},
    ),
    GoldenCase(
        "join",
        [START, node("fan_out", "parallel"), node("a", "transform", expression="1"), node("meet", "join")],
        [*chain("start", "fan_out", "a", "meet"), *chain("fan_out", "meet")],
        input={"n": 3},
        output=[1, {"n": 3}],
    ),
    GoldenCase(
        "loop",
        [
            START,
            node("each", "loop", items="$states.input.numbers", max_concurrency=2),
            node("times_ten", "transform", expression="$states.input * 10"),
            node("count", "transform", expression="{'results': $states.input}"),
        ],
        [*chain("start", "each"), {"from": "each", "port": "body", "to": "times_ten"}, *chain("each", "count")],
        input={"numbers": [1, 2, 3]},
        output={"results": [10, 20, 30]},
    ),
    GoldenCase(
        "wait",
        [START, node("pause", "wait", seconds=0)],
        chain("start", "pause"),
        input={"kept": True},
        output={"kept": True},
    ),
    GoldenCase(
        "http_request",
        [
            START,
            node(
                "call",
                "http_request",
                method="POST",
                url="{% $states.input.base_url & '/echo' %}",
                query={"source": "golden"},
                body={"name": "{% $states.input.name %}"},
            ),
            node("pick", "transform", expression="{'status': $states.input.status, 'echo': $states.input.body}"),
        ],
        chain("start", "call", "pick"),
        input={"name": "Ada"},
        output={"status": 200, "echo": {"method": "POST", "path": "/echo?source=golden", "body": {"name": "Ada"}}},
    ),
    GoldenCase(
        "subworkflow",
        [START, node("run_child", "subworkflow", workflow_id=CHILD_WORKFLOW_ID, input="{'n': $states.input.n}")],
        chain("start", "run_child"),
        input={"n": 4},
        output={"child_saw": 4},
    ),
    GoldenCase(
        "agent",
        [
            START,
            node(
                "assistant",
                "agent",
                model={"provider": "bedrock", "model_id": "anthropic.claude-3-haiku-20240307-v1:0"},
                system="You answer with numbers.",
                prompt="{% 'What is ' & $states.input.question & '?' %}",
                tools=[
                    {"kind": "builtin", "name": "calculator"},
                    {"kind": "workflow", "name": "child_tool", "workflow_id": CHILD_WORKFLOW_ID},
                ],
                max_turns=4,
            ),
        ],
        chain("start", "assistant"),
        input={"question": "(2 + 3) * 4"},
        model_turns=(
            {
                "output": {
                    "message": {
                        "role": "assistant",
                        "content": [
                            {"toolUse": {"toolUseId": "c1", "name": "calculator", "input": {"expression": "(2+3)*4"}}}
                        ],
                    }
                },
                "stopReason": "tool_use",
                "usage": {"inputTokens": 30, "outputTokens": 9, "totalTokens": 39},
                "metrics": {"latencyMs": 1},
            },
            {
                "output": {"message": {"role": "assistant", "content": [{"text": "20"}]}},
                "stopReason": "end_turn",
                "usage": {"inputTokens": 50, "outputTokens": 2, "totalTokens": 52},
                "metrics": {"latencyMs": 1},
            },
        ),
        output={
            "answer": "20",
            "turns": 2,
            "usage": {"input_tokens": 80, "output_tokens": 11},
            "tool_calls": [
                {
                    "turn": 1,
                    "name": "calculator",
                    "arguments": {"expression": "(2+3)*4"},
                    "status": "success",
                    "result_bytes": 35,
                }
            ],
        },
    ),
    GoldenCase(
        "approval",
        [
            START,
            node("sign_off", "approval", message="{% 'Approve order ' & $states.input.order %}", approvers=["admin"]),
        ],
        chain("start", "sign_off"),
        input={"order": "A-1"},
        output={"approved": True, "by": "admin"},
    ),
    GoldenCase(
        "notify",
        [
            START,
            node("tell", "notify", topic_arn=TOPIC_ARN, subject="Golden", message="{% 'Hello ' & $states.input.to %}"),
        ],
        chain("start", "tell"),
        input={"to": "ops"},
        output={"to": "ops"},
    ),
    GoldenCase(
        "emit_event",
        [
            START,
            node(
                "announce",
                "emit_event",
                detail_type="order.placed",
                detail={"order": "{% $states.input.order %}"},
                event_bus=EVENT_BUS_NAME,
            ),
        ],
        chain("start", "announce"),
        input={"order": "A-2"},
        output={"order": "A-2"},
    ),
    GoldenCase(
        "succeed",
        [START, node("done", "succeed", output="{'finished': true}")],
        chain("start", "done"),
        input={},
        output={"finished": True},
    ),
    GoldenCase(
        "fail",
        [START, node("stop", "fail", error="OrderRejected", cause="the order was rejected")],
        chain("start", "stop"),
        input={},
        status="FAILED",
        error="OrderRejected",
    ),
    GoldenCase(
        "error_output",
        [
            START,
            {
                **node("call", "http_request", url="http://169.254.169.254/latest/meta-data/"),
                "on_error": "error_output",
            },
            node("blocked", "transform", expression="{'error': $states.input.Error}"),
        ],
        [*chain("start", "call"), {"from": "call", "port": "error", "to": "blocked"}],
        input={},
        output={"error": "HttpRequestBlocked"},
    ),
    GoldenCase(
        "retry_continue_timeout",
        [
            START,
            {
                **node("call", "http_request", url="http://10.0.0.1/"),
                "retry": {
                    "max_attempts": 1,
                    "interval_seconds": 1,
                    "backoff_rate": 1.5,
                    "errors": ["HttpConnectionError"],
                },
                "on_error": "continue",
                "timeout_seconds": 30,
            },
            node("after", "transform", expression="{'went_on': true, 'error': $states.input.error.Error}"),
        ],
        chain("start", "call", "after"),
        input={},
        output={"went_on": True, "error": "HttpRequestBlocked"},
    ),
    GoldenCase(
        "mcp_tool",
        [
            START,
            node(
                "add",
                "mcp_tool",
                server_id=GOLDEN_MCP_SERVER_ID,
                tool="add",
                arguments={"a": "{% $states.input.a %}", "b": 1},
            ),
        ],
        chain("start", "add"),
        input={"a": 1},
        # Validation took the target's word for the server; at run time the tenant has no such server: refused.
        status="FAILED",
        error="Agent.ToolFailed",
    ),
    GoldenCase(
        "preset",
        [
            START,
            {
                **node("pet", "preset", preset=GOLDEN_PRESET_ID, values={"petId": "{% $states.input.id %}"}),
                "on_error": "error_output",
            },
            node("blocked", "transform", expression="{'error': $states.input.Error}"),
        ],
        [*chain("start", "pet"), {"from": "pet", "port": "error", "to": "blocked"}],
        input={"id": 7},
        # The preset compiled to an http_request of the private server: the SSRF guard refuses it as it would any.
        output={"error": "HttpRequestBlocked"},
    ),
)

CASES_BY_NAME = {case.name: case for case in GOLDEN_CASES}
