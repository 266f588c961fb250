"""`loop`: runs the nodes after its `body` port once per item of an array — a `Map` state; then goes on at `out`."""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field

from shared.workflows.model import DEFAULT_PORT
from shared.workflows.nodes.base import NodeParams, NodeType, States, Wiring, expression

BODY_PORT = "body"


class LoopParams(NodeParams):
    items: str = Field(min_length=1, max_length=5_000, description="JSONata that yields the array to loop over")
    max_concurrency: int = Field(default=10, ge=0, le=1_000, description="Items at a time; 0 means no limit")


class LoopNode(NodeType[LoopParams]):
    type = "loop"
    summary = "Runs its body once per item, at most max_concurrency at a time"
    params_model = LoopParams
    structure = "loop"
    handles_errors = True

    def ports(self, params: LoopParams) -> tuple[str, ...]:
        return (BODY_PORT, DEFAULT_PORT)

    def expressions(self, params: LoopParams) -> Iterator[tuple[str, str]]:
        yield "/items", params.items

    def emit(self, params: LoopParams, wiring: Wiring) -> States:
        state = {
            "Type": "Map",
            "Items": expression(params.items),
            "MaxConcurrency": params.max_concurrency,
            "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, **(wiring.body or {})},
        }
        return {wiring.node.id: {**state, **wiring.error_handling, **wiring.transition()}}


NODE_TYPE = LoopNode()
