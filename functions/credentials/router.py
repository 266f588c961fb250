"""Tenant credentials that `http_request` nodes name: their secrets go in, only metadata comes out."""

from __future__ import annotations

from fastapi import APIRouter, Response

from shared.auth.dependencies import CurrentPrincipal, CurrentTenant
from shared.credentials.service import (
    Credential,
    CredentialCreate,
    CredentialPage,
    CredentialRotation,
    create_credential,
    delete_credential,
    get_credential,
    list_credentials,
    rotate_credential,
)
from shared.http.pagination import DEFAULT_LIMIT, PageCursor, PageLimit

router = APIRouter(tags=["credentials"])


@router.post(
    "/v1/credentials",
    status_code=201,
    response_model=Credential,
    summary="Store a credential (its secret is write-only)",
)
def post_credential(request: CredentialCreate, tenant: CurrentTenant, principal: CurrentPrincipal) -> Credential:
    return create_credential(tenant, request, principal.subject)


@router.get("/v1/credentials", response_model=CredentialPage, summary="List the tenant's credentials (metadata only)")
def get_credentials(
    tenant: CurrentTenant, limit: PageLimit = DEFAULT_LIMIT, cursor: PageCursor = None
) -> CredentialPage:
    return list_credentials(tenant, limit=limit, cursor=cursor)


@router.get(
    "/v1/credentials/{credential_name}",
    response_model=Credential,
    summary="Read a credential's metadata (never its secret)",
)
def read_credential(credential_name: str, tenant: CurrentTenant) -> Credential:
    return get_credential(tenant, credential_name)


@router.put("/v1/credentials/{credential_name}", response_model=Credential, summary="Rotate a credential's secret")
def put_credential(
    credential_name: str, rotation: CredentialRotation, tenant: CurrentTenant, principal: CurrentPrincipal
) -> Credential:
    return rotate_credential(tenant, credential_name, rotation, principal.subject)


@router.delete("/v1/credentials/{credential_name}", status_code=204, summary="Delete a credential")
def remove_credential(credential_name: str, tenant: CurrentTenant) -> Response:
    delete_credential(tenant, credential_name)
    return Response(status_code=204)
