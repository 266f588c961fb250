"""API keys of the caller's tenant: create (shown once), list, read, rotate, revoke."""

from __future__ import annotations

from fastapi import APIRouter

from shared.auth.dependencies import CurrentPrincipal, CurrentTenant
from shared.http.pagination import DEFAULT_LIMIT, PageCursor, PageLimit
from shared.tenancy.api_keys import (
    ApiKey,
    ApiKeyCreate,
    ApiKeyPage,
    ApiKeyWithSecret,
    create_api_key,
    get_api_key,
    list_api_keys,
    revoke_api_key,
    rotate_api_key,
)

router = APIRouter(prefix="/v1/api-keys", tags=["api-keys"])


@router.post("", status_code=201, response_model=ApiKeyWithSecret, summary="Create an API key; the key is shown once")
def post_api_key(request: ApiKeyCreate, tenant: CurrentTenant, principal: CurrentPrincipal) -> ApiKeyWithSecret:
    return create_api_key(tenant, request, principal)


@router.get("", response_model=ApiKeyPage, summary="List the tenant's API keys (never their secrets)")
def get_api_keys(tenant: CurrentTenant, limit: PageLimit = DEFAULT_LIMIT, cursor: PageCursor = None) -> ApiKeyPage:
    return list_api_keys(tenant, limit=limit, cursor=cursor)


@router.get("/{key_id}", response_model=ApiKey, summary="Read an API key")
def read_api_key(key_id: str, tenant: CurrentTenant) -> ApiKey:
    return get_api_key(tenant, key_id)


@router.post("/{key_id}/rotate", response_model=ApiKeyWithSecret, summary="New secret; the old one stops at once")
def post_rotate(key_id: str, tenant: CurrentTenant, principal: CurrentPrincipal) -> ApiKeyWithSecret:
    return rotate_api_key(tenant, key_id, principal)


@router.delete("/{key_id}", response_model=ApiKey, summary="Revoke an API key; it stops working at once")
def delete_api_key(key_id: str, tenant: CurrentTenant, principal: CurrentPrincipal) -> ApiKey:
    return revoke_api_key(tenant, key_id, principal)
