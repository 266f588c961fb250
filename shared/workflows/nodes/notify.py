"""`notify`: publishes a message to an SNS topic (native integration); the data passes through."""

from __future__ import annotations

from pydantic import Field

from shared.workflows.nodes.base import NodeParams, NodeType, States, Wiring, expression


class NotifyParams(NodeParams):
    topic_arn: str = Field(pattern=r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$")
    message: str = Field(default="{% $string($states.input) %}", min_length=1, max_length=100_000)
    subject: str | None = Field(default=None, min_length=1, max_length=100)


class NotifyNode(NodeType[NotifyParams]):
    type = "notify"
    summary = "Publishes to an SNS topic"
    params_model = NotifyParams
    handles_errors = True
    supports_timeout = True

    def emit(self, params: NotifyParams, wiring: Wiring) -> States:
        arguments = {"TopicArn": params.topic_arn, "Message": params.message}
        if params.subject:
            arguments["Subject"] = params.subject
        state = {
            "Type": "Task",
            "Resource": "arn:aws:states:::sns:publish",
            "Arguments": arguments,
            "Output": expression("$states.input"),
        }
        return {wiring.node.id: {**state, **wiring.error_handling, **wiring.transition()}}


NODE_TYPE = NotifyNode()
