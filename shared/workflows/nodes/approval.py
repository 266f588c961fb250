"""`approval`: human in the loop — posts a request with a task token to the approvals queue and waits for the answer.

The executions feature records the pending approval and resumes the execution with SendTaskSuccess/Failure.
"""

from __future__ import annotations

from pydantic import Field

from shared.workflows.nodes.base import NodeParams, NodeType, States, Wiring, expression


class ApprovalParams(NodeParams):
    message: str = Field(min_length=1, max_length=5_000, description="What the approver reads; may be `{% … %}`")
    approvers: list[str] = Field(default_factory=list, max_length=50, description="Roles or user ids who may answer")
    expires_in_seconds: int = Field(default=86_400, ge=60, le=31_536_000)


class ApprovalNode(NodeType[ApprovalParams]):
    type = "approval"
    summary = "Waits for a person to approve or reject"
    params_model = ApprovalParams
    handles_errors = True
    standard_only = True

    def emit(self, params: ApprovalParams, wiring: Wiring) -> States:
        request = {
            "task_token": expression("$states.context.Task.Token"),
            "tenant_id": wiring.target.tenant_id,
            "workflow_id": wiring.target.workflow_id,
            "node_id": wiring.node.id,
            "execution_id": expression("$states.context.Execution.Id"),
            "message": params.message,
            "approvers": params.approvers,
            "expires_in_seconds": params.expires_in_seconds,
            # The approval expires as TimeoutSeconds runs out: both count from the state's entry.
            "state_entered_at": expression("$states.context.State.EnteredTime"),
            "state_retry_count": expression("$states.context.State.RetryCount"),
            "input": expression("$states.input"),
        }
        state = {
            "Type": "Task",
            "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "Arguments": {"QueueUrl": wiring.target.approvals_queue_url, "MessageBody": request},
            "TimeoutSeconds": params.expires_in_seconds,
        }
        return {wiring.node.id: {**state, **wiring.error_handling, **wiring.transition()}}


NODE_TYPE = ApprovalNode()
