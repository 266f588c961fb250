"""`emit_event`: puts an event on one of the tenant's EventBridge buses (native integration), stamped with tenant and
workflow."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import Field

from shared.resources import tenant_targets_prefix
from shared.workflows.nodes.base import CompileTarget, NodeParams, NodeType, States, Wiring, expression

EVENT_SOURCE = "nexus-forge.workflows"


def bus_name(event_bus: str) -> str:
    """The name in `arn:…:event-bus/<name>`, or the name itself; any other ARN is returned whole (no bus name)."""
    arn_prefix, separator, name = event_bus.partition(":event-bus/")
    return name if separator and arn_prefix.startswith("arn:") else event_bus


class EmitEventParams(NodeParams):
    detail_type: str = Field(min_length=1, max_length=128)
    detail: Any = Field(default="{% $states.input %}", description="A JSON value; strings may be `{% … %}`")
    event_bus: str = Field(
        pattern=r"^[A-Za-z0-9/._:-]{1,1600}$",
        description="One of the tenant's buses, by name or ARN: its name starts with `forge-<tenant id>-`",
    )


class EmitEventNode(NodeType[EmitEventParams]):
    type = "emit_event"
    summary = "Puts an event on an EventBridge bus"
    params_model = EmitEventParams
    handles_errors = True
    supports_timeout = True

    def references(self, params: EmitEventParams, target: CompileTarget) -> Iterator[tuple[str, str]]:
        prefix = tenant_targets_prefix(target.tenant_id)
        if not bus_name(params.event_bus).startswith(prefix):
            yield "/event_bus", f"an emit_event node puts events only on the tenant's own buses, named `{prefix}…`"

    def emit(self, params: EmitEventParams, wiring: Wiring) -> States:
        entry = {
            "Source": EVENT_SOURCE,
            "DetailType": params.detail_type,
            "EventBusName": params.event_bus,
            "Detail": {
                "tenant_id": wiring.target.tenant_id,
                "workflow_id": wiring.target.workflow_id,
                "node_id": wiring.node.id,
                "data": params.detail,
            },
        }
        state = {
            "Type": "Task",
            "Resource": "arn:aws:states:::events:putEvents",
            "Arguments": {"Entries": [entry]},
            "Output": expression("$states.input"),
        }
        return {wiring.node.id: {**state, **wiring.error_handling, **wiring.transition()}}


NODE_TYPE = EmitEventNode()
