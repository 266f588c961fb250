"""What the approvals queue carries, and what the API says about approvals."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

# 11 hex digits of the request's milliseconds since the epoch, then 48 bits of the task token's SHA-256: ids sort
# by request time, and a redelivered request (same token, same send time) gets the same id.
_APPROVAL_ID = re.compile(r"^[0-9a-f]{23}$")


class ApprovalStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    # Past its expiry unanswered; the node's TimeoutSeconds fails the execution with States.Timeout.
    EXPIRED = "expired"
    # The execution stopped waiting before the answer reached it (cancelled, or ended another way).
    WITHDRAWN = "withdrawn"


class Decision(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"


class ApprovalRequest(BaseModel):
    """The message an `approval` node sends (shared/workflows/nodes/approval.py) with its task token."""

    model_config = ConfigDict(extra="ignore")

    task_token: str = Field(min_length=1, max_length=2_048)
    tenant_id: str
    workflow_id: str
    node_id: str
    execution_id: str = Field(description="The Step Functions execution ARN ($states.context.Execution.Id)")
    message: str = Field(max_length=10_000)
    approvers: list[str] = Field(default_factory=list, max_length=50)
    expires_in_seconds: int = Field(ge=1)
    state_entered_at: AwareDatetime | None = Field(
        default=None,
        description="$states.context.State.EnteredTime: the node's TimeoutSeconds counts from it; absent from "
        "machines compiled before it was sent",
    )
    state_retry_count: int | None = Field(default=None, ge=0, description="$states.context.State.RetryCount")
    input: Any = None


def approval_id_for(task_token: str, requested_at: datetime) -> str:
    milliseconds = int(requested_at.timestamp() * 1000)
    return f"{milliseconds:011x}{hashlib.sha256(task_token.encode()).hexdigest()[:12]}"


def is_approval_id(value: str) -> bool:
    return bool(_APPROVAL_ID.match(value))


class ApprovalAnswer(BaseModel):
    comment: str | None = Field(default=None, max_length=2_000, description="Why; passed to the workflow")


class ApprovalSummary(BaseModel):
    approval_id: str
    workflow_id: str
    execution_id: str
    node_id: str
    message: str
    approvers: list[str] = Field(description="Roles (that role or higher) or member subjects; empty: any editor")
    status: ApprovalStatus
    created_at: datetime
    expires_at: datetime
    answered_by: str | None = None
    answered_at: datetime | None = None
    comment: str | None = None


class Approval(ApprovalSummary):
    input: Any = Field(default=None, description="What the workflow passed to the approval node")


class ApprovalPage(BaseModel):
    items: list[ApprovalSummary]
    next_cursor: str | None = None
