"""Validation + compilation of generated workflows of 10 to 5,000 nodes: time and peak memory.

Targets: ≤ 50 ms for 1,000 nodes; near-linear growth (5,000 nodes ≤ 6x the 1,000-node time).
Every node's JSONata expression is distinct, so the parse cache does not flatter the numbers: the report says how
many distinct expressions each size parses and what that costs apart from the rest (validation parses with
jsonatapy, a few µs an expression; the pure-Python jsonata-python it replaced took 50 to 150 µs, which kept the
1,000-node target out of reach while ~600 of its nodes carry a distinct expression).
"""

from __future__ import annotations

import time
import tracemalloc
from typing import Any

from shared.workflows.nodes.base import CompileTarget
from shared.workflows.validation import jsonata_error, validate_workflow

SIZES = (10, 100, 1_000, 5_000)
REPEATS = 5
TARGET_1000_MS = 50.0
TARGET_GROWTH = 6.0
TARGET = CompileTarget(
    tenant_id="tenantbench",
    workflow_id="bench",
    http_function_arn="arn:aws:lambda:us-east-1:123456789012:function:bench-node-http",
    approvals_queue_url="https://sqs.us-east-1.amazonaws.com/123456789012/bench-approvals",
    subworkflow_arn=lambda workflow_id, version: None,
)


class _Graph:
    def __init__(self) -> None:
        self.nodes: list[dict[str, Any]] = []
        self.edges: list[dict[str, str]] = []

    def add(self, node_type: str, **params: Any) -> str:
        node_id = f"n{len(self.nodes)}"
        self.nodes.append({"id": node_id, "type": node_type, "params": params})
        return node_id

    def transform(self) -> str:
        return self.add("transform", expression=f"{{'step': {len(self.nodes)}, 'value': $states.input.value + 1}}")

    def link(self, source: str, target: str, port: str = "out") -> None:
        self.edges.append({"from": source, "port": port, "to": target})


def generated_workflow(size: int) -> dict[str, Any]:
    """A chain of ten-node blocks: condition diamond, parallel with an HTTP call, loop, wait, transforms."""
    graph = _Graph()
    tail = graph.add("manual")
    while len(graph.nodes) + 10 <= size:
        check = graph.add("condition", expression=f"$states.input.value > {len(graph.nodes)}")
        yes, no, merge = graph.transform(), graph.transform(), graph.transform()
        graph.link(tail, check)
        graph.link(check, yes, "true")
        graph.link(check, no, "false")
        graph.link(yes, merge)
        graph.link(no, merge)
        fan, shape, join = graph.add("parallel"), graph.transform(), graph.add("join", output="list")
        call = graph.add("http_request", url=f"https://api.example.com/items/{len(graph.nodes)}")
        for branch in (shape, call):
            graph.link(fan, branch)
            graph.link(branch, join)
        graph.link(merge, fan)
        each = graph.add("loop", items="$states.input", max_concurrency=4)
        graph.link(join, each)
        graph.link(each, graph.transform(), "body")
        tail = each
    while len(graph.nodes) < size:
        following = graph.transform()
        graph.link(tail, following)
        tail = following
    return {"name": f"bench-{size}", "nodes": graph.nodes, "edges": graph.edges}


def _validate_and_compile(document: dict[str, Any]) -> None:
    result = validate_workflow(document, TARGET)
    if result.definition is None:
        raise RuntimeError(f"the generated workflow is invalid: {result.findings[:3]}")


def _best_seconds(document: dict[str, Any], *, parse_cached: bool = False) -> float:
    """Best of REPEATS; with `parse_cached`, every expression was parsed before, so JSONata parsing is left out."""
    best = float("inf")
    for _ in range(REPEATS):
        if not parse_cached:
            jsonata_error.cache_clear()
        started = time.perf_counter()
        _validate_and_compile(document)
        best = min(best, time.perf_counter() - started)
    return best


def _peak_mib(document: dict[str, Any]) -> float:
    jsonata_error.cache_clear()
    tracemalloc.start()
    _validate_and_compile(document)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def _distinct_expressions(document: dict[str, Any]) -> int:
    jsonata_error.cache_clear()
    _validate_and_compile(document)
    return int(jsonata_error.cache_info().currsize)


def main() -> None:
    _validate_and_compile(generated_workflow(10))  # imports and first-call costs out of the way
    timings: dict[int, float] = {}
    print(
        f"{'nodes':>6} {'edges':>6} {'expressions':>12} {'time (best of 5)':>17} {'without JSONata parsing':>24}"
        f" {'parsing per expression':>23} {'peak memory':>12}"
    )
    for size in SIZES:
        document = generated_workflow(size)
        expressions = _distinct_expressions(document)
        timings[size] = _best_seconds(document)
        without_parsing = _best_seconds(document, parse_cached=True)
        per_expression = (timings[size] - without_parsing) / expressions * 1e6
        print(
            f"{size:>6} {len(document['edges']):>6} {expressions:>12} {timings[size] * 1000:>14.1f} ms"
            f" {without_parsing * 1000:>21.1f} ms {per_expression:>20.0f} µs {_peak_mib(document):>8.1f} MiB"
        )
    growth = timings[5_000] / timings[1_000]
    print(f"1,000 nodes: {timings[1_000] * 1000:.1f} ms (target ≤ {TARGET_1000_MS:.0f} ms)")
    print(f"5,000 / 1,000 nodes: {growth:.1f}x (target ≤ {TARGET_GROWTH:.0f}x, near-linear)")


if __name__ == "__main__":
    main()
