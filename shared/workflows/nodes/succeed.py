"""`succeed`: ends the workflow (or a parallel branch) successfully, optionally with an output."""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field

from shared.workflows.nodes.base import NodeParams, NodeType, States, Wiring, expression


class SucceedParams(NodeParams):
    output: str | None = Field(default=None, max_length=20_000, description="JSONata for the final output")


class SucceedNode(NodeType[SucceedParams]):
    type = "succeed"
    summary = "Ends successfully"
    params_model = SucceedParams

    def ports(self, params: SucceedParams) -> tuple[str, ...]:
        return ()

    def expressions(self, params: SucceedParams) -> Iterator[tuple[str, str]]:
        if params.output:
            yield "/output", params.output

    def emit(self, params: SucceedParams, wiring: Wiring) -> States:
        state = {"Type": "Succeed"}
        if params.output:
            state["Output"] = expression(params.output)
        return {wiring.node.id: state}


NODE_TYPE = SucceedNode()
