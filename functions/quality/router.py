"""Quality control: the events the detector recorded and what their policies did, their undo, and each workflow's
quality policy (docs/quality.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from shared.auth.dependencies import CurrentPrincipal, CurrentTenant
from shared.http.pagination import DEFAULT_LIMIT, PageCursor, PageLimit
from shared.quality.policies import QualityPolicy
from shared.quality.service import (
    QualityEvent,
    QualityEventPage,
    WorkflowQualityPolicy,
    get_quality_policy,
    list_quality_events,
    put_quality_policy,
    undo_quality_event,
)

router = APIRouter(tags=["quality"])


@router.get("/v1/quality/events", response_model=QualityEventPage, summary="The tenant's quality events, newest first")
def get_quality_events(
    tenant: CurrentTenant,
    workflow_id: Annotated[str | None, Query(max_length=128, description="Only this workflow's events")] = None,
    limit: PageLimit = DEFAULT_LIMIT,
    cursor: PageCursor = None,
) -> QualityEventPage:
    return list_quality_events(tenant, workflow_id=workflow_id, limit=limit, cursor=cursor)


@router.post(
    "/v1/quality/events/{event_id}/undo",
    response_model=QualityEvent,
    summary="Undo what a quality event's policy did (once)",
)
def post_quality_event_undo(event_id: str, tenant: CurrentTenant, principal: CurrentPrincipal) -> QualityEvent:
    return undo_quality_event(tenant, event_id, principal.subject)


@router.get(
    "/v1/quality/policies/{workflow_id}",
    response_model=WorkflowQualityPolicy,
    summary="A workflow's quality policy (notify only, unless set)",
)
def read_quality_policy(workflow_id: str, tenant: CurrentTenant) -> WorkflowQualityPolicy:
    return get_quality_policy(tenant, workflow_id)


@router.put(
    "/v1/quality/policies/{workflow_id}",
    response_model=WorkflowQualityPolicy,
    summary="Set a workflow's quality policy",
)
def write_quality_policy(
    workflow_id: str, policy: QualityPolicy, tenant: CurrentTenant, principal: CurrentPrincipal
) -> WorkflowQualityPolicy:
    return put_quality_policy(tenant, workflow_id, policy, principal.subject)
