"""The tenant's own audit log."""

from __future__ import annotations

from fastapi import APIRouter

from shared.auth.dependencies import CurrentTenant
from shared.http.pagination import DEFAULT_LIMIT, PageCursor, PageLimit
from shared.tenancy.audit import AuditEventPage, list_audit_events

router = APIRouter(tags=["audit"])


@router.get("/v1/audit-events", response_model=AuditEventPage, summary="The tenant's audit events, newest first")
def get_audit_events(
    tenant: CurrentTenant, limit: PageLimit = DEFAULT_LIMIT, cursor: PageCursor = None
) -> AuditEventPage:
    return list_audit_events(tenant, limit=limit, cursor=cursor)
