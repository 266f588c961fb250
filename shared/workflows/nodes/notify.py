"""`notify`: publishes a message to one of the tenant's SNS topics (native integration); the data passes through."""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field

from shared.resources import tenant_targets_prefix
from shared.workflows.nodes.base import CompileTarget, NodeParams, NodeType, States, Wiring, expression


class NotifyParams(NodeParams):
    topic_arn: str = Field(
        pattern=r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$",
        description="One of the tenant's topics: its name starts with `forge-<tenant id>-`",
    )
    message: str = Field(default="{% $string($states.input) %}", min_length=1, max_length=100_000)
    subject: str | None = Field(default=None, min_length=1, max_length=100)


class NotifyNode(NodeType[NotifyParams]):
    type = "notify"
    summary = "Publishes to an SNS topic"
    params_model = NotifyParams
    handles_errors = True
    supports_timeout = True

    def references(self, params: NotifyParams, target: CompileTarget) -> Iterator[tuple[str, str]]:
        prefix = tenant_targets_prefix(target.tenant_id)
        if not params.topic_arn.rsplit(":", 1)[1].startswith(prefix):
            yield "/topic_arn", f"a notify node publishes only to the tenant's own topics, named `{prefix}…`"

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
