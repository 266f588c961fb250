"""`transform`: reshapes the data with a JSONata expression — a `Pass` state, no Lambda."""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field

from shared.workflows.nodes.base import NodeParams, NodeType, States, Wiring, expression


class TransformParams(NodeParams):
    expression: str = Field(min_length=1, max_length=20_000, description="JSONata; `$states.input` is the input")


class TransformNode(NodeType[TransformParams]):
    type = "transform"
    summary = "Reshapes its input with a JSONata expression"
    params_model = TransformParams

    def expressions(self, params: TransformParams) -> Iterator[tuple[str, str]]:
        yield "/expression", params.expression

    def emit(self, params: TransformParams, wiring: Wiring) -> States:
        return {wiring.node.id: {"Type": "Pass", "Output": expression(params.expression), **wiring.transition()}}


NODE_TYPE = TransformNode()
