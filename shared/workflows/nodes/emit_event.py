"""`emit_event`: puts an event on an EventBridge bus (native integration), stamped with tenant and workflow."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from shared.workflows.nodes.base import NodeParams, NodeType, States, Wiring, expression

EVENT_SOURCE = "nexus-forge.workflows"


class EmitEventParams(NodeParams):
    detail_type: str = Field(min_length=1, max_length=128)
    detail: Any = Field(default="{% $states.input %}", description="A JSON value; strings may be `{% … %}`")
    event_bus: str = Field(default="default", pattern=r"^[A-Za-z0-9/._:-]{1,1600}$", description="Bus name or ARN")


class EmitEventNode(NodeType[EmitEventParams]):
    type = "emit_event"
    summary = "Puts an event on an EventBridge bus"
    params_model = EmitEventParams
    handles_errors = True
    supports_timeout = True

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
