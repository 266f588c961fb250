"""`parallel`: every edge from `out` starts a branch; the branches run together up to their `join`."""

from __future__ import annotations

from shared.workflows.nodes.base import NodeParams, NodeType, States, Wiring


class ParallelParams(NodeParams):
    pass


class ParallelNode(NodeType[ParallelParams]):
    type = "parallel"
    summary = "Runs each outgoing branch at the same time until they meet at a join"
    params_model = ParallelParams
    structure = "fork"
    handles_errors = True

    def emit(self, params: ParallelParams, wiring: Wiring) -> States:
        state = {"Type": "Parallel", "Branches": wiring.branches}
        if wiring.join_output:
            state["Output"] = wiring.join_output
        return {wiring.node.id: {**state, **wiring.error_handling, **wiring.transition()}}


NODE_TYPE = ParallelNode()
