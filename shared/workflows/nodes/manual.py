"""`manual`: the workflow starts from an API call; its input is the request's input."""

from __future__ import annotations

from shared.workflows.nodes.base import NodeParams, NodeType, States, Wiring


class ManualParams(NodeParams):
    pass


class ManualTrigger(NodeType[ManualParams]):
    type = "manual"
    summary = "Starts the workflow on demand"
    params_model = ManualParams
    structure = "trigger"

    def emit(self, params: ManualParams, wiring: Wiring) -> States:
        return {wiring.node.id: {"Type": "Pass", **wiring.transition()}}


NODE_TYPE = ManualTrigger()
