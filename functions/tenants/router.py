"""Tenants: platform admins create, list, suspend, delete and purge; members read, owners and admins update."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import JSONResponse

from shared.auth.dependencies import CurrentPrincipal
from shared.http.audit_middleware import AUDIT_PLATFORM_STATE, AUDIT_TARGET_STATE, AUDIT_TENANT_STATE
from shared.http.pagination import DEFAULT_LIMIT, PageCursor, PageLimit
from shared.store.context import TENANT_ID_PATTERN
from shared.tenancy.tenants import (
    Tenant,
    TenantCreate,
    TenantPage,
    TenantStatus,
    TenantUpdate,
    create_tenant,
    get_tenant,
    list_tenants,
    set_tenant_status,
    update_tenant,
)

router = APIRouter(prefix="/v1/tenants", tags=["tenants"])

TenantId = Annotated[str, Path(pattern=TENANT_ID_PATTERN, description="The tenant's id")]


@router.post("", status_code=201, response_model=Tenant, summary="Create a tenant and its first owner")
def post_tenant(body: TenantCreate, request: Request) -> Tenant:
    tenant = create_tenant(body)
    # Audited in the new tenant's log: the path names no tenant yet.
    setattr(request.state, AUDIT_TENANT_STATE, tenant.tenant_id)
    setattr(request.state, AUDIT_TARGET_STATE, f"{request.url.path}/{tenant.tenant_id}")
    return tenant


@router.get("", response_model=TenantPage, summary="List every tenant")
def get_tenants(limit: PageLimit = DEFAULT_LIMIT, cursor: PageCursor = None) -> TenantPage:
    return list_tenants(limit=limit, cursor=cursor)


@router.get("/{tenant_id}", response_model=Tenant, summary="Read a tenant")
def read_tenant(tenant_id: TenantId) -> Tenant:
    return get_tenant(tenant_id)


@router.patch("/{tenant_id}", response_model=Tenant, summary="Update a tenant (tier and region: platform admins)")
def patch_tenant(tenant_id: TenantId, update: TenantUpdate, principal: CurrentPrincipal) -> Tenant:
    return update_tenant(tenant_id, update, principal)


@router.post("/{tenant_id}/suspend", response_model=Tenant, summary="Suspend a tenant: its callers get 403")
def suspend_tenant(tenant_id: TenantId) -> Tenant:
    return set_tenant_status(tenant_id, TenantStatus.SUSPENDED)


@router.post("/{tenant_id}/resume", response_model=Tenant, summary="Reactivate a suspended tenant")
def resume_tenant(tenant_id: TenantId) -> Tenant:
    return set_tenant_status(tenant_id, TenantStatus.ACTIVE)


@router.delete("/{tenant_id}", response_model=Tenant, summary="Delete a tenant (soft: purge it later)")
def delete_tenant(tenant_id: TenantId) -> Tenant:
    return set_tenant_status(tenant_id, TenantStatus.DELETED)


@router.post(
    "/{tenant_id}/purge",
    status_code=204,
    summary="Remove everything of a deleted tenant; 202: not finished within this call, call again to continue",
    responses={
        202: {
            "model": Tenant,
            "description": "The tenant, `purging`: out of time, or another call is purging it; call again to continue",
        }
    },
)
def post_purge(tenant_id: TenantId, request: Request) -> Response:
    # Imported here: the purge reaches every store module and three AWS services the other routes never need.
    from shared.operations.tenant_purge import PurgeResult, purge_tenant

    # Audited in the platform's log: the tenant's own log is among what the purge removes.
    setattr(request.state, AUDIT_PLATFORM_STATE, True)
    if purge_tenant(tenant_id) is PurgeResult.DONE:
        return Response(status_code=204)
    return JSONResponse(status_code=202, content=get_tenant(tenant_id).model_dump(mode="json"))
