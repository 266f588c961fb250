"""Hypothesis strategies: random valid workflows built from nested blocks, and mutations that break them."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

EXPRESSIONS = ("$states.input", "{'v': 1}", "[1, 2, 3]", "{'text': $string($states.input)}", "$count([1, 2])")
BLOCKS = ("transform", "wait", "condition", "switch", "parallel", "loop")


@dataclass
class _Builder:
    draw: Any
    nodes: list[dict[str, Any]] = field(default_factory=list)
    edges: list[dict[str, Any]] = field(default_factory=list)

    def add(self, node_type: str, **params: Any) -> str:
        node_id = f"n{len(self.nodes)}_{node_type}"
        self.nodes.append({"id": node_id, "type": node_type, "params": params})
        return node_id

    def link(self, source: str, port: str, target: str) -> None:
        self.edges.append({"from": source, "port": port, "to": target})

    def sequence(self, source: str, port: str, depth: int, minimum: int = 1) -> tuple[str, str]:
        """Appends blocks after (source, port); returns where the sequence ends as (node, port)."""
        for _ in range(self.draw(st.integers(minimum, 3))):
            source, port = self.block(source, port, depth)
        return source, port

    def block(self, source: str, port: str, depth: int) -> tuple[str, str]:
        kind = self.draw(st.sampled_from(BLOCKS if depth > 0 else BLOCKS[:2]))
        if kind == "transform":
            node_id = self.add("transform", expression=self.draw(st.sampled_from(EXPRESSIONS)))
        elif kind == "wait":
            node_id = self.add("wait", seconds=0)
        elif kind == "loop":
            node_id = self.add("loop", items="[1, 2]", max_concurrency=self.draw(st.integers(0, 3)))
            self.sequence(node_id, "body", depth - 1)
        else:
            node_id = self._fork(kind, depth)
        self.link(source, port, node_id)
        return self._exit_of(node_id, kind)

    def _fork(self, kind: str, depth: int) -> str:
        if kind == "parallel":
            node_id = self.add("parallel")
            join = self.add("join", output="list")
            for _ in range(self.draw(st.integers(1, 3))):
                end, end_port = self.sequence(node_id, "out", depth - 1, minimum=0)
                self.link(end, end_port, join)
            self._joins[node_id] = join
            return node_id
        if kind == "condition":
            node_id = self.add("condition", expression="$exists($states.input)")
            ports = ["true", "false"]
        else:
            node_id = self.add(
                "switch", cases=[{"port": "a", "condition": "false"}, {"port": "b", "condition": "true"}]
            )
            ports = ["a", "b", "default"]
        merge = self.add("transform", expression="$states.input")
        for port in ports:
            end, end_port = self.sequence(node_id, port, depth - 1, minimum=0)
            self.link(end, end_port, merge)
        self._merges[node_id] = merge
        return node_id

    def _exit_of(self, node_id: str, kind: str) -> tuple[str, str]:
        if kind == "parallel":
            return self._joins[node_id], "out"
        if kind in ("condition", "switch"):
            return self._merges[node_id], "out"
        return node_id, "out"

    def __post_init__(self) -> None:
        self._joins: dict[str, str] = {}
        self._merges: dict[str, str] = {}


@st.composite
def valid_workflows(draw: Any, depth: int = 2) -> dict[str, Any]:
    builder = _Builder(draw)
    start = builder.add("manual")
    builder.sequence(start, "out", depth)
    return {"name": "generated", "nodes": builder.nodes, "edges": builder.edges}


def _pick(draw: Any, document: dict[str, Any], node_type: str | None = None) -> int | None:
    positions = [
        position
        for position, node in enumerate(document["nodes"])
        if node["type"] != "manual" and (node_type is None or node["type"] == node_type)
    ]
    return int(draw(st.sampled_from(positions))) if positions else None


def _mutate(draw: Any, document: dict[str, Any], mutation: str) -> None:
    nodes, edges = document["nodes"], document["edges"]
    target = _pick(draw, document, "transform" if mutation in ("missing_param", "broken_jsonata") else None)
    if mutation == "dangling_edge" or (target is None and mutation not in ("second_trigger", "no_trigger")):
        edges.append({"from": "ghost", "to": "phantom"})
    elif mutation == "second_trigger":
        nodes.append({"id": "another_start", "type": "webhook"})
    elif mutation == "no_trigger":
        nodes[:] = [node for node in nodes if node["type"] != "manual"] or [{"id": "lonely", "type": "wait"}]
    elif mutation == "duplicate_id":
        nodes.append(copy.deepcopy(nodes[target]))
    elif mutation == "unknown_type":
        nodes[target]["type"] = "teleport"
    elif mutation == "missing_param":
        nodes[target]["params"] = {}
    elif mutation == "broken_jsonata":
        nodes[target]["params"] = {"expression": "$states.input +"}
    elif mutation == "removed_node":
        del nodes[target]
    elif mutation == "bad_port" and edges:
        edges[draw(st.integers(0, len(edges) - 1))]["port"] = "nope"


MUTATIONS = (
    "dangling_edge",
    "duplicate_id",
    "unknown_type",
    "missing_param",
    "broken_jsonata",
    "second_trigger",
    "removed_node",
    "bad_port",
    "no_trigger",
)


@st.composite
def broken_workflows(draw: Any) -> dict[str, Any]:
    original: dict[str, Any] = draw(valid_workflows(depth=1))
    document = copy.deepcopy(original)
    for mutation in draw(st.lists(st.sampled_from(MUTATIONS), min_size=1, max_size=3)):
        _mutate(draw, document, mutation)
    if _unordered(document) == _unordered(original):  # mutations can cancel out (a duplicate, then either copy removed)
        _mutate(draw, document, "dangling_edge")
    return document


def _unordered(document: dict[str, Any]) -> list[list[str]]:
    return [sorted(json.dumps(item, sort_keys=True) for item in document[key]) for key in ("nodes", "edges")]
