"""`fail`: ends the workflow as failed with an error name and a cause."""

from __future__ import annotations

from pydantic import Field

from shared.workflows.nodes.base import NodeParams, NodeType, States, Wiring


class FailParams(NodeParams):
    error: str = Field(default="WorkflowFailed", min_length=1, max_length=256)
    cause: str | None = Field(default=None, max_length=32_768, description="Literal or `{% … %}` expression")


class FailNode(NodeType[FailParams]):
    type = "fail"
    summary = "Ends as failed"
    params_model = FailParams

    def ports(self, params: FailParams) -> tuple[str, ...]:
        return ()

    def emit(self, params: FailParams, wiring: Wiring) -> States:
        state = {"Type": "Fail", "Error": params.error}
        if params.cause:
            state["Cause"] = params.cause
        return {wiring.node.id: state}


NODE_TYPE = FailNode()
