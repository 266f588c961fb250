"""A node type is one self-contained plugin: its parameters, its states and the catalog function it invokes."""

from __future__ import annotations

from typing import Any

import pytest

from shared.catalog import CATALOG_BY_NAME
from shared.workflows import nodes
from shared.workflows.nodes import NODE_TYPES
from shared.workflows.nodes.base import NodeParams, NodeType, States, Wiring, expression
from tests.workflows.cases import START, chain, node
from tests.workflows.support import PLACEMENT, validate


@pytest.mark.parametrize("node_type", [t for t in NODE_TYPES.values() if t.function], ids=lambda t: t.type)
def test_a_declared_function_is_in_the_catalog(node_type: NodeType[Any]) -> None:
    assert node_type.function in CATALOG_BY_NAME


def test_the_function_lookup_refuses_a_name_outside_the_catalog() -> None:
    with pytest.raises(KeyError, match="no function 'node_nothing'"):
        PLACEMENT.function_arn("node_nothing")


class _GreetParams(NodeParams):
    name: str


class _GreetNode(NodeType[_GreetParams]):
    type = "greet"
    summary = "Greets through the smoke workflow's function"
    params_model = _GreetParams
    handles_errors = True
    function = "smoke_echo"

    def emit(self, params: _GreetParams, wiring: Wiring) -> States:
        state = {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Arguments": {"FunctionName": self.function_arn(wiring), "Payload": {"name": params.name}},
            "Output": expression("$states.result.Payload"),
        }
        return {wiring.node.id: {**state, **wiring.error_handling, **wiring.transition()}}


def test_a_new_node_type_compiles_with_its_function_without_touching_the_compiler(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(nodes.NODE_TYPES, "greet", _GreetNode())
    result = validate({"name": "w", "nodes": [START, node("hi", "greet", name="Ada")], "edges": chain("start", "hi")})
    assert result.definition is not None, result.findings
    state = result.definition["States"]["hi"]
    assert state["Arguments"]["FunctionName"] == PLACEMENT.function_arn("smoke_echo")
    assert state["Arguments"]["FunctionName"].endswith(":function:nexus-forge-local-smoke-echo")


def _function_names(value: object) -> set[str]:
    if isinstance(value, dict):
        found = {value["FunctionName"]} if isinstance(value.get("FunctionName"), str) else set()
        return found.union(*(_function_names(item) for item in value.values()))
    if isinstance(value, list):
        return set().union(*(_function_names(item) for item in value))
    return set()


def test_the_workflow_role_may_invoke_every_function_a_compiled_node_names() -> None:
    from shared.resources import WORKFLOW_STATE_MACHINES
    from tests.workflows.cases import GOLDEN_CASES
    from tests.workflows.support import compile_case

    http_tool = {"kind": "http", "name": "call", "request": {"url": "https://api.example.com/"}}
    agent = node("agent", "agent", model={"model_id": "m"}, prompt="hi", tools=[http_tool])
    with_http_tool = validate({"name": "w", "nodes": [START, agent], "edges": chain("start", "agent")}).definition
    named = _function_names([compile_case(case) for case in GOLDEN_CASES] + [with_http_tool])
    allowed = {PLACEMENT.function_arn(name) for name in WORKFLOW_STATE_MACHINES.invokes_functions}
    assert named == allowed
