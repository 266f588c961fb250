"""Compiles a workflow graph to Amazon States Language.

One recursive walk returns the `States` of a scope: a `fork` node becomes a Parallel state whose branches are
walked up to their join, a `loop` node a Map state whose body is walked as its own scope. Each node type emits its
own states; the walker knows only the shapes (`Structure`), never the node types.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from shared.executions.causes import LAMBDA_ERROR_FIELDS
from shared.workflows.model import DEFAULT_PORT, ERROR_PORT, Node, WorkflowGraph
from shared.workflows.nodes import NODE_TYPES
from shared.workflows.nodes.base import CompileTarget, NodeType, State, States, Wiring, expression
from shared.workflows.nodes.loop import BODY_PORT

QUERY_LANGUAGE = "JSONata"

# `\x5c` is a backslash: JSONata's lexer would read `\\(` as an escaped bracket and miss the regex's end.
_JSON_STRING = r'"(?:[^"\x5c\u0000-\u001f]|\x5c(?:["\x5c\/bfnrt]|u[0-9a-fA-F]{4}))*"'
_JSON_MEMBER = rf"{_JSON_STRING}\s*:\s*(?:{_JSON_STRING}|\[\s*(?:{_JSON_STRING}(?:\s*,\s*{_JSON_STRING})*)?\s*\])"
# A Lambda error's Cause is the runtime's JSON payload (strings and a list of strings); only a Cause of that shape
# is parsed, so `$parse` never fails on another one, which passes unchanged.
_LAMBDA_ERROR_PAYLOAD = rf"/^\{{\s*{_JSON_MEMBER}(?:\s*,\s*{_JSON_MEMBER})*\s*\}}$/"
_FIELDS_KEPT = "[" + ", ".join(f'"{field}"' for field in LAMBDA_ERROR_FIELDS) + "]"
# The caught error as the next node receives it: a Lambda error's stack trace stripped from its Cause, as the
# execution's recorded cause is (`shared/executions/causes.py`).
ERROR_OUTPUT_BODY = (
    '{"Error": $states.errorOutput.Error, "Cause": '
    '$type($states.errorOutput.Cause) = "string" and $contains($states.errorOutput.Cause, \'"stackTrace"\') '
    f"and $contains($states.errorOutput.Cause, {_LAMBDA_ERROR_PAYLOAD}) "
    f"? $string($sift($parse($states.errorOutput.Cause), function($value, $key) {{ $key in {_FIELDS_KEPT} }})) "
    ": $states.errorOutput.Cause}"
)
ERROR_OUTPUT = expression(ERROR_OUTPUT_BODY)
CONTINUE_OUTPUT = expression(f'{{"input": $states.input, "error": {ERROR_OUTPUT_BODY}}}')


@dataclass(frozen=True)
class Finding:
    """One problem with a workflow: a JSON pointer into the document and a sentence for a person."""

    pointer: str
    reason: str


class GraphIndex:
    """Lookups over a graph whose node types are known and whose parameters are parsed."""

    def __init__(self, graph: WorkflowGraph, params: dict[str, BaseModel]) -> None:
        self.graph = graph
        self.nodes: dict[str, Node] = {node.id: node for node in graph.nodes}
        self.positions = {node.id: position for position, node in enumerate(graph.nodes)}
        self.types: dict[str, NodeType[Any]] = {node.id: NODE_TYPES[node.type] for node in graph.nodes}
        self.params = params
        self.targets: dict[str, dict[str, list[str]]] = {}
        for edge in graph.edges:
            self.targets.setdefault(edge.source, {}).setdefault(edge.port, []).append(edge.target)

    def node_type(self, node_id: str) -> NodeType[Any]:
        return self.types[node_id]

    def outgoing(self, node_id: str) -> dict[str, list[str]]:
        """The targets of each port of a node that has edges out; {} for one that has none."""
        return self.targets.get(node_id, _NO_TARGETS)

    def pointer(self, node_id: str) -> str:
        return f"/nodes/{self.positions[node_id]}"

    def is_join(self, node_id: str) -> bool:
        return self.types[node_id].structure == "join"

    def trigger(self) -> str:
        return next(node_id for node_id, node_type in self.types.items() if node_type.structure == "trigger")


_NO_TARGETS: dict[str, list[str]] = {}


@dataclass
class _Scope:
    """The states of one scope (the main flow, a branch, a loop body) and the joins its paths ended at."""

    states: States = field(default_factory=dict)
    joins: set[str] = field(default_factory=set)


class _Walker:
    def __init__(self, index: GraphIndex, target: CompileTarget) -> None:
        self.index = index
        self.target = target
        self.findings: list[Finding] = []
        self._scope_of: dict[str, str] = {}
        self._fork_of_join: dict[str, str] = {}

    def walk(self, start: str, scope: str) -> _Scope:
        result = _Scope()
        if self.index.is_join(start):
            result.joins.add(start)
            return result
        pending = deque([start])
        visited: set[str] = set()
        while pending:
            node_id = pending.popleft()
            if node_id in visited:
                continue
            visited.add(node_id)
            owner = self._scope_of.setdefault(node_id, scope)
            if owner != scope:
                self.findings.append(
                    Finding(self.index.pointer(node_id), f"node {node_id!r} is reached from both {owner} and {scope}")
                )
                continue
            pending.extend(self._emit(node_id, result))
        return result

    def _emit(self, node_id: str, result: _Scope) -> list[str]:
        node = self.index.nodes[node_id]
        node_type = self.index.node_type(node_id)
        wiring = Wiring(node=node, target=self.target, next_by_port={})
        outgoing = dict(self.index.outgoing(node_id))
        if node_type.structure == "fork":
            outgoing.pop(DEFAULT_PORT, None)
            join_id = self._fork(node_id, wiring)
            if join_id is None:
                return []
            outgoing.update(self.index.outgoing(join_id))
        elif node_type.structure == "loop":
            outgoing.pop(BODY_PORT, None)
            self._loop(node_id, wiring)
        following: list[str] = []
        for port, targets in outgoing.items():
            if self.index.is_join(targets[0]):
                result.joins.add(targets[0])
                wiring.next_by_port[port] = None
            else:
                wiring.next_by_port[port] = targets[0]
                following.append(targets[0])
        wiring.error_handling = self._error_handling(node, wiring)
        states = node_type.emit(self.index.params[node_id], wiring)
        if node.name and node_id in states:
            states[node_id] = {"Comment": node.name, **states[node_id]}
        result.states.update(states)
        result.states.update(wiring.extra_states)
        return following

    def _fork(self, node_id: str, wiring: Wiring) -> str | None:
        starts = self.index.outgoing(node_id).get(DEFAULT_PORT, [])
        pointer = self.index.pointer(node_id)
        if not starts:
            self.findings.append(Finding(pointer, f"parallel {node_id!r} has no branches: connect its `out` port"))
            return None
        branches = [self.walk(start, f"branch {n + 1} of parallel {node_id!r}") for n, start in enumerate(starts)]
        joins = set().union(*(branch.joins for branch in branches))
        if len(joins) != 1:
            met = ", ".join(repr(join) for join in sorted(joins)) or "no join"
            self.findings.append(
                Finding(pointer, f"the branches of parallel {node_id!r} must close at one join; they reach {met}")
            )
            return None
        join_id = joins.pop()
        fork = self._fork_of_join.setdefault(join_id, node_id)
        if fork != node_id:
            self.findings.append(
                Finding(self.index.pointer(join_id), f"join {join_id!r} closes both parallel {fork!r} and {node_id!r}")
            )
        wiring.branches = [
            self._branch(node_id, n, start, branch)
            for n, (start, branch) in enumerate(zip(starts, branches, strict=True))
        ]
        join_output = getattr(self.index.node_type(join_id), "output", None)
        wiring.join_output = join_output(self.index.params[join_id]) if join_output else None
        return join_id

    @staticmethod
    def _branch(node_id: str, position: int, start: str, branch: _Scope) -> State:
        if branch.states:
            return {"StartAt": start, "States": branch.states}
        # A branch that goes straight to the join passes its input through.
        name = f"{node_id}__branch{position + 1}"
        return {"StartAt": name, "States": {name: {"Type": "Pass", "End": True}}}

    def _loop(self, node_id: str, wiring: Wiring) -> None:
        starts = self.index.outgoing(node_id).get(BODY_PORT, [])
        if not starts:
            self.findings.append(Finding(self.index.pointer(node_id), f"loop {node_id!r} has no body: connect `body`"))
            return
        body = self.walk(starts[0], f"the body of loop {node_id!r}")
        for join_id in sorted(body.joins):
            self.findings.append(
                Finding(
                    self.index.pointer(join_id), f"join {join_id!r} in the body of loop {node_id!r} closes no parallel"
                )
            )
        wiring.body = {"StartAt": starts[0], "States": body.states}

    @staticmethod
    def _error_handling(node: Node, wiring: Wiring) -> State:
        handling: State = {}
        if node.retry is not None:
            rule: State = {
                "ErrorEquals": node.retry.errors,
                "IntervalSeconds": node.retry.interval_seconds,
                "MaxAttempts": node.retry.max_attempts,
                "BackoffRate": node.retry.backoff_rate,
            }
            if node.retry.max_delay_seconds is not None:
                rule["MaxDelaySeconds"] = node.retry.max_delay_seconds
            if node.retry.jitter:
                rule["JitterStrategy"] = "FULL"
            handling["Retry"] = [rule]
        if node.on_error == "continue":
            handling["Catch"] = [
                {"ErrorEquals": ["States.ALL"], "Next": wiring.next_state(DEFAULT_PORT), "Output": CONTINUE_OUTPUT}
            ]
        elif node.on_error == "error_output":
            handling["Catch"] = [
                {
                    "ErrorEquals": ["States.ALL"],
                    "Next": wiring.next_state(ERROR_PORT),
                    "Output": ERROR_OUTPUT,
                }
            ]
        if node.timeout_seconds is not None:
            handling["TimeoutSeconds"] = node.timeout_seconds
        return handling


def compile_graph(index: GraphIndex, target: CompileTarget) -> tuple[dict[str, Any], list[Finding]]:
    """The state machine definition of a graph that passed the node and edge checks, and what the walk found."""
    walker = _Walker(index, target)
    start = index.trigger()
    main = walker.walk(start, "the main flow")
    for join_id in sorted(main.joins):
        walker.findings.append(Finding(index.pointer(join_id), f"join {join_id!r} closes no parallel"))
    definition: dict[str, Any] = {
        "Comment": f"Nexus Forge workflow {target.workflow_id}",
        "QueryLanguage": QUERY_LANGUAGE,
        "StartAt": start,
        "States": main.states,
    }
    if index.graph.settings.timeout_seconds is not None:
        definition["TimeoutSeconds"] = index.graph.settings.timeout_seconds
    return definition, walker.findings
