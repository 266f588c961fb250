"""Reading and answering approvals. An answer moves a pending approval to approved or rejected with one
conditional write, so only the first answer counts, and then resumes the waiting execution:

- approved: SendTaskSuccess with the node's output
  `{"approval": {"approval_id", "decision", "by", "at", "comment"}, "input": <the node's input>}`;
- rejected: SendTaskFailure with the error `Approval.Rejected` (the cause is the same `approval` object as JSON),
  which the node's error handling (retry/catch/on_error) sees like any other error.

Past `expires_at` an approval is expired: answering it is a 410 problem, and the node's TimeoutSeconds (the same
duration from the same moment, shared/approvals/intake.py) fails the execution with States.Timeout.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError
from pynamodb.exceptions import UpdateError
from pynamodb.expressions.condition import Condition

from shared.approvals.intake import token_context
from shared.approvals.model import (
    Approval,
    ApprovalPage,
    ApprovalStatus,
    ApprovalSummary,
    Decision,
    is_approval_id,
)
from shared.auth.principal import Principal, Role
from shared.aws import stepfunctions
from shared.crypto.secret_box import open_sealed
from shared.executions.payloads import load_payload
from shared.problems import Conflict, NotFound, ProblemError
from shared.store.approvals import ApprovalItem, Approvals
from shared.store.tenant_scoped import TenantContext

REJECTED_ERROR = "Approval.Rejected"
_ROLES = {role.value: role for role in Role}


class NotAnApprover(ProblemError):
    status = 403
    slug = "not-an-approver"
    title = "You are not one of this approval's approvers"


class AlreadyAnswered(Conflict):
    slug = "approval-answered"
    title = "The approval has already been answered"


class ApprovalExpired(ProblemError):
    status = 410
    slug = "approval-expired"
    title = "The approval has expired"


class ApprovalWithdrawn(Conflict):
    slug = "approval-withdrawn"
    title = "The execution no longer waits for this approval"


def utc_now() -> datetime:
    return datetime.now(UTC)


def status_of(item: ApprovalItem, now: datetime) -> ApprovalStatus:
    status = ApprovalStatus(item.status)
    if status is ApprovalStatus.PENDING and now >= item.expires_at:
        return ApprovalStatus.EXPIRED
    return status


def summary_of(item: ApprovalItem, now: datetime) -> ApprovalSummary:
    return ApprovalSummary(
        approval_id=item.approval_id,
        workflow_id=item.workflow_id,
        execution_id=item.execution_id,
        node_id=item.node_id,
        message=item.message,
        approvers=list(item.approvers or []),
        status=status_of(item, now),
        created_at=item.created_at,
        expires_at=item.expires_at,
        answered_by=item.answered_by,
        answered_at=item.answered_at,
        comment=item.comment,
    )


def approval_of(item: ApprovalItem, now: datetime) -> Approval:
    return Approval(**summary_of(item, now).model_dump(), input=_input_of(item))


def find_approval(tenant: TenantContext, approval_id: str, *, consistent: bool = False) -> ApprovalItem:
    item = Approvals(tenant).get(approval_id, consistent=consistent) if is_approval_id(approval_id) else None
    if item is None:
        raise NotFound(f"No approval with id {approval_id!r}")
    return item


def get_approval(tenant: TenantContext, approval_id: str) -> Approval:
    return approval_of(find_approval(tenant, approval_id), utc_now())


def list_approvals(
    tenant: TenantContext, *, limit: int, cursor: str | None, status: ApprovalStatus | None = None
) -> ApprovalPage:
    now = utc_now()
    page = Approvals(tenant).search(limit=limit, cursor=cursor, filters=_status_filter(status, now))
    return ApprovalPage(items=[summary_of(item, now) for item in page.items], next_cursor=page.next_cursor)


def _status_filter(status: ApprovalStatus | None, now: datetime) -> Condition | None:
    """An expired approval may still be stored as pending: expiry is decided by the clock, not by a write."""
    if status is None:
        return None
    stored: Condition = ApprovalItem.status == status.value
    pending: Condition = ApprovalItem.status == ApprovalStatus.PENDING.value
    if status is ApprovalStatus.PENDING:
        unexpired: Condition = stored & (ApprovalItem.expires_at > now)
        return unexpired
    if status is ApprovalStatus.EXPIRED:
        expired: Condition = stored | (pending & (ApprovalItem.expires_at <= now))
        return expired
    return stored


def may_answer(principal: Principal, approvers: list[str]) -> bool:
    """No approvers: any caller the route lets in. A role name admits that role and higher; anything else is a
    member's subject."""
    if not approvers:
        return True
    for approver in approvers:
        role = _ROLES.get(approver)
        if role is not None and principal.role is not None and principal.role.at_least(role):
            return True
        if role is None and approver == principal.subject:
            return True
    return False


def answer_approval(
    tenant: TenantContext, approval_id: str, principal: Principal, decision: Decision, comment: str | None
) -> Approval:
    item = find_approval(tenant, approval_id, consistent=True)
    if not may_answer(principal, list(item.approvers or [])):
        raise NotAnApprover(f"Approval {approval_id} may be answered by {', '.join(item.approvers)} only")
    now = utc_now()
    status = status_of(item, now)
    if status is ApprovalStatus.EXPIRED:
        _settle(item, ApprovalStatus.EXPIRED, expected=ApprovalStatus.PENDING)
        raise ApprovalExpired(f"Approval {approval_id} expired at {item.expires_at.isoformat()}")
    if status is not ApprovalStatus.PENDING:
        raise _answered(item)
    try:
        item.update(
            actions=[
                ApprovalItem.status.set(decision.value),
                ApprovalItem.answered_by.set(principal.subject),
                ApprovalItem.answered_at.set(now),
                ApprovalItem.comment.set(comment) if comment is not None else ApprovalItem.comment.remove(),
            ],
            condition=ApprovalItem.status == ApprovalStatus.PENDING.value,
        )
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        raise _answered(find_approval(tenant, approval_id, consistent=True)) from error
    _resume_execution(tenant, item, decision)
    return approval_of(item, now)


def _answered(item: ApprovalItem) -> ProblemError:
    if item.status == ApprovalStatus.EXPIRED.value:
        return ApprovalExpired(f"Approval {item.approval_id} expired at {item.expires_at.isoformat()}")
    if item.status == ApprovalStatus.WITHDRAWN.value:
        return ApprovalWithdrawn(f"Execution {item.execution_id} no longer waits for approval {item.approval_id}")
    when = item.answered_at.isoformat() if item.answered_at else "earlier"
    return AlreadyAnswered(f"Approval {item.approval_id} was {item.status} by {item.answered_by} at {when}")


def _resume_execution(tenant: TenantContext, item: ApprovalItem, decision: Decision) -> None:
    answer = {
        "approval_id": item.approval_id,
        "decision": decision.value,
        "by": item.answered_by,
        "at": item.answered_at.isoformat() if item.answered_at else None,
        "comment": item.comment,
    }
    token = open_sealed(item.task_token, token_context(tenant.tenant_id, item.approval_id))
    try:
        if decision is Decision.APPROVED:
            output = {"approval": answer, "input": _input_of(item)}
            stepfunctions.send_task_success(token, json.dumps(output, separators=(",", ":")))
        else:
            stepfunctions.send_task_failure(token, error=REJECTED_ERROR, cause=json.dumps(answer))
    except ClientError as error:
        code = error.response["Error"]["Code"]
        if code == "TaskTimedOut":
            _settle(item, ApprovalStatus.EXPIRED, expected=ApprovalStatus(decision.value))
            raise ApprovalExpired(f"Approval {item.approval_id} expired before the answer reached it") from error
        if code in ("TaskDoesNotExist", "InvalidToken"):
            _settle(item, ApprovalStatus.WITHDRAWN, expected=ApprovalStatus(decision.value))
            raise ApprovalWithdrawn(
                f"Execution {item.execution_id} no longer waits for approval {item.approval_id} (cancelled or ended)"
            ) from error
        # Anything else may pass on a retry: the approval is pending again, unanswered.
        _settle(item, ApprovalStatus.PENDING, expected=ApprovalStatus(decision.value), clear_answer=True)
        raise


def withdraw_pending_approvals(tenant: TenantContext, execution_id: str, *, since: datetime) -> int:
    """An execution that ended no longer waits for its pending approvals: they are withdrawn (answering one is a
    409, as when its task is gone), or expired when their time is up. Returns how many."""
    now = utc_now()
    pending = Approvals(tenant).of_execution(execution_id, ApprovalStatus.PENDING.value, since)
    for item in pending:
        ended = ApprovalStatus.EXPIRED if now >= item.expires_at else ApprovalStatus.WITHDRAWN
        _settle(item, ended, expected=ApprovalStatus.PENDING)
    return len(pending)


def _settle(
    item: ApprovalItem, status: ApprovalStatus, *, expected: ApprovalStatus, clear_answer: bool = False
) -> None:
    """Records what became of an approval, unless something else already moved it on."""
    actions: list[Any] = [ApprovalItem.status.set(status.value)]
    if clear_answer:
        actions += [ApprovalItem.answered_by.remove(), ApprovalItem.answered_at.remove(), ApprovalItem.comment.remove()]
    try:
        item.update(actions=actions, condition=ApprovalItem.status == expected.value)
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise


def _input_of(item: ApprovalItem) -> Any:
    return load_payload(item.input_ref) if item.input_ref else item.input
