"""`switch`: n-way branch — a `Choice` state; the first case whose condition holds wins, else `default`."""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field, field_validator

from shared.workflows.model import PORT_PATTERN
from shared.workflows.nodes.base import NodeParams, NodeType, States, Wiring, expression


class SwitchCase(NodeParams):
    port: str = Field(pattern=PORT_PATTERN, description="The output port this case leads to")
    condition: str = Field(min_length=1, max_length=5_000, description="JSONata that yields true or false")


class SwitchParams(NodeParams):
    cases: list[SwitchCase] = Field(min_length=1, max_length=50)

    @field_validator("cases")
    @classmethod
    def _distinct_ports(cls, cases: list[SwitchCase]) -> list[SwitchCase]:
        ports = [case.port for case in cases]
        if len(set(ports)) != len(ports) or "default" in ports:
            raise ValueError("case ports must be distinct and not `default`")
        return cases


class SwitchNode(NodeType[SwitchParams]):
    type = "switch"
    summary = "Goes on at the port of the first case that holds, else at `default`"
    params_model = SwitchParams

    def ports(self, params: SwitchParams) -> tuple[str, ...]:
        return (*(case.port for case in params.cases), "default")

    def expressions(self, params: SwitchParams) -> Iterator[tuple[str, str]]:
        for position, case in enumerate(params.cases):
            yield f"/cases/{position}/condition", case.condition

    def emit(self, params: SwitchParams, wiring: Wiring) -> States:
        choices = [
            {"Condition": expression(case.condition), "Next": wiring.next_state(case.port)} for case in params.cases
        ]
        return {wiring.node.id: {"Type": "Choice", "Choices": choices, "Default": wiring.next_state("default")}}


NODE_TYPE = SwitchNode()
