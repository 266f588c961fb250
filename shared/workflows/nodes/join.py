"""`join`: closes a `parallel`; its output is the list of branch outputs, or their objects merged."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shared.workflows.nodes.base import NodeParams, NodeType, States, Wiring, expression


class JoinParams(NodeParams):
    output: Literal["list", "merge"] = Field(default="list", description="merge: one object from the branch objects")


class JoinNode(NodeType[JoinParams]):
    type = "join"
    summary = "Where the branches of a parallel meet"
    params_model = JoinParams
    structure = "join"

    def output(self, params: JoinParams) -> str | None:
        """The `Output` of the Parallel state this join closes."""
        return expression("$merge($states.result)") if params.output == "merge" else None

    def emit(self, params: JoinParams, wiring: Wiring) -> States:
        return {}


NODE_TYPE = JoinNode()
