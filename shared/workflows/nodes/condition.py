"""`condition`: if/else on a JSONata boolean — a `Choice` state with ports `true` and `false`."""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field

from shared.workflows.nodes.base import NodeParams, NodeType, States, Wiring, expression


class ConditionParams(NodeParams):
    expression: str = Field(min_length=1, max_length=5_000, description="JSONata that yields true or false")


class ConditionNode(NodeType[ConditionParams]):
    type = "condition"
    summary = "Goes on at `true` or `false`"
    params_model = ConditionParams

    def ports(self, params: ConditionParams) -> tuple[str, ...]:
        return ("true", "false")

    def expressions(self, params: ConditionParams) -> Iterator[tuple[str, str]]:
        yield "/expression", params.expression

    def emit(self, params: ConditionParams, wiring: Wiring) -> States:
        choice = {
            "Type": "Choice",
            "Choices": [{"Condition": expression(params.expression), "Next": wiring.next_state("true")}],
            "Default": wiring.next_state("false"),
        }
        return {wiring.node.id: choice}


NODE_TYPE = ConditionNode()
