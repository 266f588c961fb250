"""`wait`: pauses for a number of seconds or until a timestamp — a `Wait` state; the data passes through."""

from __future__ import annotations

from pydantic import Field, model_validator

from shared.workflows.nodes.base import NodeParams, NodeType, States, Wiring


class WaitParams(NodeParams):
    seconds: int | None = Field(default=None, ge=0, le=31_536_000)
    until: str | None = Field(
        default=None, min_length=1, max_length=5_000, description="An ISO 8601 timestamp or a `{% … %}` expression"
    )

    @model_validator(mode="after")
    def _one_of(self) -> WaitParams:
        if (self.seconds is None) == (self.until is None):
            raise ValueError("give exactly one of `seconds` and `until`")
        return self


class WaitNode(NodeType[WaitParams]):
    type = "wait"
    summary = "Waits for a duration or until a time"
    params_model = WaitParams

    def emit(self, params: WaitParams, wiring: Wiring) -> States:
        timing = {"Seconds": params.seconds} if params.seconds is not None else {"Timestamp": params.until}
        return {wiring.node.id: {"Type": "Wait", **timing, **wiring.transition()}}


NODE_TYPE = WaitNode()
