"""`webhook`: the workflow starts from a signed delivery; its input is the delivery (wired up by executions)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shared.workflows.nodes.base import NodeParams, NodeType, States, Wiring


class WebhookParams(NodeParams):
    signature: Literal["standard_webhooks", "github"] = "standard_webhooks"
    respond: Literal["immediately", "with_output"] = Field(
        default="immediately", description="Answer the delivery at once, or with the workflow's output"
    )


class WebhookTrigger(NodeType[WebhookParams]):
    type = "webhook"
    summary = "Starts the workflow from a signed webhook delivery"
    params_model = WebhookParams
    structure = "trigger"

    def emit(self, params: WebhookParams, wiring: Wiring) -> States:
        return {wiring.node.id: {"Type": "Pass", **wiring.transition()}}


NODE_TYPE = WebhookTrigger()
