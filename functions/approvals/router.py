"""Approvals of a tenant's running workflows: list, read, approve, reject."""

from __future__ import annotations

from fastapi import APIRouter

from shared.approvals.model import Approval, ApprovalAnswer, ApprovalPage, ApprovalStatus, Decision
from shared.approvals.service import answer_approval, get_approval, list_approvals
from shared.auth.dependencies import CurrentPrincipal, CurrentTenant
from shared.http.pagination import DEFAULT_LIMIT, PageCursor, PageLimit

router = APIRouter(tags=["approvals"])

_ANSWER_RESPONSES: dict[int | str, dict[str, str]] = {
    403: {"description": "Not one of the approval's approvers (or the role may not answer)"},
    409: {"description": "Already answered, or the execution no longer waits"},
    410: {"description": "The approval has expired"},
}


@router.get("/v1/approvals", response_model=ApprovalPage, summary="List approvals, newest first")
def get_approvals(
    tenant: CurrentTenant,
    limit: PageLimit = DEFAULT_LIMIT,
    cursor: PageCursor = None,
    status: ApprovalStatus | None = None,
) -> ApprovalPage:
    return list_approvals(tenant, limit=limit, cursor=cursor, status=status)


@router.get("/v1/approvals/{approval_id}", response_model=Approval, summary="Read an approval with the node's input")
def read_approval(approval_id: str, tenant: CurrentTenant) -> Approval:
    return get_approval(tenant, approval_id)


@router.post(
    "/v1/approvals/{approval_id}/approve",
    response_model=Approval,
    summary="Approve: the execution continues with the decision as the node's output",
    responses=_ANSWER_RESPONSES,
)
def post_approve(
    approval_id: str, tenant: CurrentTenant, principal: CurrentPrincipal, answer: ApprovalAnswer | None = None
) -> Approval:
    return answer_approval(tenant, approval_id, principal, Decision.APPROVED, (answer or ApprovalAnswer()).comment)


@router.post(
    "/v1/approvals/{approval_id}/reject",
    response_model=Approval,
    summary="Reject: the node fails with the error Approval.Rejected",
    responses=_ANSWER_RESPONSES,
)
def post_reject(
    approval_id: str, tenant: CurrentTenant, principal: CurrentPrincipal, answer: ApprovalAnswer | None = None
) -> Approval:
    return answer_approval(tenant, approval_id, principal, Decision.REJECTED, (answer or ApprovalAnswer()).comment)
