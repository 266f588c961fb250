"""Checks a workflow before anything is stored or sent to AWS, and returns every finding at once."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ValidationError

from shared.problems import InvalidParam, ValidationFailed
from shared.workflows.compiler import Finding, GraphIndex, compile_graph
from shared.workflows.model import ERROR_PORT, Node, WorkflowDefinition, WorkflowGraph
from shared.workflows.nodes import NODE_TYPES
from shared.workflows.nodes.base import CompileTarget, NodeType

MAX_DEFINITION_BYTES = 1_048_576
EXPRESS_MAX_SECONDS = 300
SHOWN_PATTERN_CHARS = 80


@dataclass
class ValidationResult:
    graph: WorkflowGraph | None
    definition: dict[str, Any] | None
    findings: list[Finding] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.findings

    def raise_for_findings(self) -> None:
        if self.findings:
            params = [InvalidParam(name=finding.pointer, reason=finding.reason) for finding in self.findings]
            raise ValidationFailed(params, detail=f"The workflow has {len(params)} problem(s); each names its place")


def validate_workflow(
    document: Mapping[str, Any], target: CompileTarget, model: type[WorkflowGraph] = WorkflowDefinition
) -> ValidationResult:
    """Validates a workflow document and compiles it; the definition is set only when there are no findings."""
    try:
        graph = model.model_validate(document)
    except ValidationError as error:
        return ValidationResult(None, None, [_finding_from_error(item) for item in error.errors()])
    return validate_graph(graph, target)


def validate_graph(graph: WorkflowGraph, target: CompileTarget) -> ValidationResult:
    checker = _GraphChecker(graph, target)
    findings = checker.check()
    if findings:
        return ValidationResult(graph, None, findings)
    definition, findings = compile_graph(GraphIndex(graph, checker.params), target)
    if not findings:
        # json.dumps escapes non-ASCII (ensure_ascii), as publishing sends it, so its length is its size in bytes.
        size = len(json.dumps(definition, separators=(",", ":")))
        if size >= MAX_DEFINITION_BYTES:
            findings.append(Finding("/nodes", f"the compiled definition is {size} bytes; Step Functions takes < 1 MB"))
    return ValidationResult(graph, None if findings else definition, findings)


def _pointer(location: tuple[Any, ...] | list[Any], prefix: str = "") -> str:
    return prefix + "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in location) or "/"


def _finding_from_error(error: Any, prefix: str = "") -> Finding:
    return Finding(_pointer(error["loc"], prefix), error["msg"])


@lru_cache(maxsize=4096)
def jsonata_error(text: str) -> str | None:
    """Why a JSONata expression does not parse, or None when it does.

    jlens (a Rust JSONata that passes the official JSONata test suite) parses, in a few µs where jsonata-python
    takes ~150 µs, and limits nesting to 1,000 levels instead of overflowing the stack. jlens compiles a regular
    expression literal only when it evaluates it, so text with a `/` that jlens accepts is also parsed by
    jsonata-python, the local runtime's JSONata, which compiles each literal as it reads it. Cached by text, so a
    workflow that repeats an expression, or is validated again in the same container, parses it once."""
    if "%}" in text:
        return "an expression can't contain `%}`"
    from jlens import Expression, JlensError

    try:
        Expression(text)
    except JlensError as error:
        return f"JSONata does not parse: {error}"
    return _regex_literals(text)[0] if "/" in text else None


def regex_backtracking_error(text: str) -> str | None:
    """Why a regular expression literal in `text` (which parses) is refused: one whose repetitions can match the same
    text in more than one way takes exponential time in a backtracking engine (Step Functions' JSONata, and the local
    runtime's) on a text that almost matches. None when there is none."""
    if "/" not in text:
        return None
    from shared.workflows.regex_backtracking import backtracking_hazard

    for pattern, case_insensitive in _regex_literals(text)[1]:
        hazard = backtracking_hazard(pattern, case_insensitive)
        if hazard:
            shown = pattern if len(pattern) <= SHOWN_PATTERN_CHARS else pattern[:SHOWN_PATTERN_CHARS] + "…"
            return f"the regular expression /{shown}/ {hazard}"
    return None


@lru_cache(maxsize=4096)
def _regex_literals(text: str) -> tuple[str | None, tuple[tuple[str, bool], ...]]:
    """(why a regular expression literal in `text`, which jlens parsed, does not compile, or None; every literal as
    (pattern, case-insensitive))."""
    from jsonata import Jsonata  # type: ignore[import-untyped]  # only text with a `/` comes here
    from jsonata.regex_engine import default_regex_engine  # type: ignore[import-untyped]

    literals: list[tuple[str, bool]] = []

    def compile_and_keep(pattern: str, flags: Any) -> Any:
        literals.append((pattern, bool(flags.case_insensitive)))
        return default_regex_engine(pattern, flags)

    try:
        Jsonata.get_parser().parse(text, compile_and_keep)
    except re.error as error:
        return f"JSONata does not parse: a regular expression does not compile ({error})", ()
    except Exception:  # noqa: BLE001 - jlens decides the syntax; jsonata-python is asked about regular expressions only
        return None, tuple(literals)
    return None, tuple(literals)


class _GraphChecker:
    """The checks that need no compilation: nodes, parameters, expressions, edges and the graph's shape."""

    def __init__(self, graph: WorkflowGraph, target: CompileTarget) -> None:
        self.graph = graph
        self.target = target
        self.params: dict[str, BaseModel] = {}
        self.findings: list[Finding] = []
        self.positions: dict[str, int] = {}
        # Of the nodes whose type is known, by id; triggers in document order.
        self.types: dict[str, NodeType[Any]] = {}
        self.triggers: list[str] = []
        self._ports_of: dict[str, tuple[str, ...]] = {}

    def check(self) -> list[Finding]:
        for position, node in enumerate(self.graph.nodes):
            self._check_node(position, node)
        self._check_shape(self._check_edges())
        self._check_settings()
        return self.findings

    def _add(self, pointer: str, reason: str) -> None:
        self.findings.append(Finding(pointer, reason))

    def _check_node(self, position: int, node: Node) -> None:
        pointer = f"/nodes/{position}"
        if node.id in self.positions:
            self._add(f"{pointer}/id", f"id {node.id!r} is already used by /nodes/{self.positions[node.id]}")
            return
        self.positions[node.id] = position
        node_type = NODE_TYPES.get(node.type)
        if node_type is None:
            self._add(f"{pointer}/type", f"unknown node type {node.type!r}; known: {', '.join(sorted(NODE_TYPES))}")
            return
        self.types[node.id] = node_type
        if node_type.structure == "trigger":
            self.triggers.append(node.id)
        try:
            params = node_type.params_model.model_validate(node.params)
        except ValidationError as error:
            self.findings += [_finding_from_error(item, f"{pointer}/params") for item in error.errors()]
            return
        self.params[node.id] = params
        capabilities = self._node_capabilities(node, node_type, params)
        self.findings += [Finding(pointer + where, why) for where, why in capabilities]
        for where, text in node_type.expressions(params):
            reason = jsonata_error(text) or regex_backtracking_error(text)
            if reason:
                self._add(f"{pointer}/params{where}", reason)
        for where, reason in node_type.references(params, self.target):
            self._add(f"{pointer}/params{where}", reason)

    def _node_capabilities(self, node: Node, node_type: NodeType[Any], params: BaseModel) -> Iterator[tuple[str, str]]:
        if not node_type.handles_errors:
            if node.retry is not None:
                yield "/retry", f"a {node.type} node can't fail, so it takes no retry policy"
            if node.on_error != "stop":
                yield "/on_error", f"a {node.type} node can't fail, so on_error must be `stop`"
        if node.timeout_seconds is not None and not node_type.supports_timeout:
            yield "/timeout_seconds", f"a {node.type} node takes no timeout"
        if self.graph.settings.mode == "express" and node_type.standard_only_for(params):
            yield "/type", f"a {node.type} node waits for another process, which express workflows can't; use standard"

    def _ports(self, node_id: str) -> tuple[str, ...]:
        ports = self._ports_of.get(node_id)
        if ports is None:
            ports = self.types[node_id].ports(self.params[node_id])
            if self.graph.nodes[self.positions[node_id]].on_error == "error_output":
                ports = (*ports, ERROR_PORT)
            self._ports_of[node_id] = ports
        return ports

    def _check_edges(self) -> list[int]:
        """Checks every edge; returns the positions of those between existing nodes.

        Positions and string keys rather than tuples: a 5,000-node graph has 6,000 edges, and every tuple is one
        more object for the cyclic garbage collector to track."""
        linked: list[int] = []
        used_ports: dict[str, int] = {}  # "node/port" (neither may contain a slash) → the first edge leaving it
        for position, edge in enumerate(self.graph.edges):
            pointer = f"/edges/{position}"
            ends_known = True
            for end, node_id in (("from", edge.source), ("to", edge.target)):
                if node_id not in self.positions:
                    self._add(f"{pointer}/{end}", f"no node has id {node_id!r}")
                    ends_known = False
            if not ends_known:
                continue
            linked.append(position)
            if edge.source not in self.params or edge.target not in self.params:
                continue
            ports = self._ports(edge.source)
            if edge.port not in ports:
                known = ", ".join(ports) or "none"
                self._add(f"{pointer}/port", f"node {edge.source!r} has no port {edge.port!r} (ports: {known})")
                continue
            if self.types[edge.target].structure == "trigger":
                self._add(f"{pointer}/to", f"{edge.target!r} is a trigger: nothing can lead into it")
                continue
            fans_out = self.types[edge.source].structure == "fork" and edge.port != ERROR_PORT
            earlier = used_ports.setdefault(f"{edge.source}/{edge.port}", position)
            if earlier != position and not fans_out:
                self._add(pointer, f"port {edge.port!r} of {edge.source!r} already leads to /edges/{earlier}")
        return linked

    def _check_shape(self, linked: list[int]) -> None:
        triggers = self.triggers
        if not triggers:
            self._add("/nodes", "a workflow needs exactly one trigger node (manual, webhook or schedule); it has none")
            return
        for extra in triggers[1:]:
            self._add(f"/nodes/{self.positions[extra]}/type", f"a workflow has one trigger; {triggers[0]!r} is first")
        edges = self.graph.edges
        successors: dict[str, list[int]] = {node_id: [] for node_id in self.positions}
        for position in linked:
            successors[edges[position].source].append(position)
        targets = [edge.target for edge in edges]
        back, reached = _depth_first(triggers[0], successors, targets, self.positions)
        for position in back:
            edge = edges[position]
            self._add(
                f"/edges/{position}",
                f"the edge {edge.source!r} → {edge.target!r} closes a cycle; repeat work with a loop node",
            )
        reached.update(triggers[1:])
        for node_id, position in self.positions.items():
            if node_id not in reached:
                self._add(f"/nodes/{position}", f"node {node_id!r} can't be reached from the trigger")

    def _check_settings(self) -> None:
        settings = self.graph.settings
        if settings.mode == "express" and (settings.timeout_seconds or 0) > EXPRESS_MAX_SECONDS:
            self._add("/settings/timeout_seconds", f"express workflows run at most {EXPRESS_MAX_SECONDS} seconds")


def _depth_first(
    start: str, successors: dict[str, list[int]], targets: list[str], order: Mapping[str, int]
) -> tuple[list[int], set[str]]:
    """(edges that close a cycle, nodes reached from `start`), by one iterative depth-first search from `start`
    and then from every node not reached yet. `successors` holds edge positions; `targets[position]` is where one
    leads."""
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    back: list[int] = []
    reached: set[str] = set()
    for root in [start, *order]:
        if root in state:
            continue
        state[root] = 1
        stack = [(root, iter(successors[root]))]
        while stack:
            node_id, children = stack[-1]
            for position in children:
                target = targets[position]
                if state.get(target) == 1:
                    back.append(position)
                elif target not in state:
                    state[target] = 1
                    stack.append((target, iter(successors[target])))
                    break
            else:
                state[node_id] = 2
                stack.pop()
        if root == start:
            reached = set(state)
    return sorted(back), reached
