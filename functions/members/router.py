"""Members of the caller's tenant, the caller's own identity, and the tenant's usage of a month."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from shared.auth.dependencies import CurrentPrincipal, CurrentTenant
from shared.auth.principal import AuthMethod, Role
from shared.http.pagination import DEFAULT_LIMIT, PageCursor, PageLimit
from shared.tenancy.members import (
    Member,
    MemberCreate,
    MemberPage,
    MemberUpdate,
    add_member,
    change_member_role,
    get_member,
    list_members,
    remove_member,
)
from shared.tenancy.usage import MONTH_PATTERN, UsageReport, month_usage

router = APIRouter(tags=["members"])


class Me(BaseModel):
    subject: str
    method: AuthMethod
    tenant_id: str | None
    role: Role | None
    is_platform_admin: bool


@router.get("/v1/me", response_model=Me, summary="Who the credentials of this request belong to")
def read_me(principal: CurrentPrincipal) -> Me:
    return Me(
        subject=principal.subject,
        method=principal.method,
        tenant_id=principal.tenant_id,
        role=principal.role,
        is_platform_admin=principal.is_platform_admin,
    )


@router.get("/v1/members", response_model=MemberPage, summary="List the tenant's members")
def get_members(tenant: CurrentTenant, limit: PageLimit = DEFAULT_LIMIT, cursor: PageCursor = None) -> MemberPage:
    return list_members(tenant, limit=limit, cursor=cursor)


@router.post("/v1/members", status_code=201, response_model=Member, summary="Add a user to the tenant with a role")
def post_member(request: MemberCreate, tenant: CurrentTenant, principal: CurrentPrincipal) -> Member:
    return add_member(tenant, request, principal)


@router.get("/v1/members/{subject}", response_model=Member, summary="Read a member")
def read_member(subject: str, tenant: CurrentTenant) -> Member:
    return get_member(tenant, subject)


@router.patch("/v1/members/{subject}", response_model=Member, summary="Change a member's role")
def patch_member(subject: str, update: MemberUpdate, tenant: CurrentTenant, principal: CurrentPrincipal) -> Member:
    return change_member_role(tenant, subject, update, principal)


@router.delete("/v1/members/{subject}", status_code=204, summary="Remove a member from the tenant")
def delete_member(subject: str, tenant: CurrentTenant, principal: CurrentPrincipal) -> Response:
    remove_member(tenant, subject, principal)
    return Response(status_code=204)


@router.get(
    "/v1/usage",
    response_model=UsageReport,
    summary="The tenant's executions and model tokens of a month, in all and by workflow, and its tier's quotas",
)
def read_usage(
    tenant: CurrentTenant,
    month: Annotated[
        str | None,
        Query(pattern=MONTH_PATTERN, description="A calendar month (UTC), YYYY-MM; the current one if absent"),
    ] = None,
) -> UsageReport:
    return month_usage(tenant, month)
