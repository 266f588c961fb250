"""API keys: shown once, stored as a hash, scoped to a tenant and a role, optionally expiring; rotate and revoke."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, Field

from shared.auth.api_key_secrets import api_key_prefix, hash_secret, new_key_id, new_secret
from shared.auth.principal import Principal, Role
from shared.auth.role_ceiling import require_within_caller_role
from shared.problems import BadRequest, Conflict, NotFound
from shared.request_types import Rfc3339DateTime
from shared.store.tenancy import ApiKeyItem, ApiKeys
from shared.store.tenant_scoped import TenantContext


class ApiKeyCreate(BaseModel):
    name: str = Field(min_length=1, max_length=128)
    role: Role = Role.VIEWER
    expires_at: Rfc3339DateTime | None = Field(
        default=None, description="When the key stops working (in the future); none = never"
    )


class ApiKey(BaseModel):
    key_id: str
    prefix: str = Field(description="The public part of the key, to recognise it")
    name: str
    role: Role
    created_by: str
    created_at: datetime
    expires_at: datetime | None
    rotated_at: datetime | None
    revoked_at: datetime | None


class ApiKeyWithSecret(ApiKey):
    api_key: str = Field(description="The key itself: shown once, never stored")


class ApiKeyPage(BaseModel):
    items: list[ApiKey]
    next_cursor: str | None


def _to_model(tenant: TenantContext, item: ApiKeyItem) -> ApiKey:
    return ApiKey(
        key_id=item.key_id,
        prefix=api_key_prefix(tenant.tenant_id, item.key_id),
        name=item.name,
        role=Role(item.role),
        created_by=item.created_by,
        created_at=item.created_at,
        expires_at=item.expires_at,
        rotated_at=item.rotated_at,
        revoked_at=item.revoked_at,
    )


def _with_secret(tenant: TenantContext, item: ApiKeyItem, secret: str) -> ApiKeyWithSecret:
    key = _to_model(tenant, item)
    return ApiKeyWithSecret(**key.model_dump(), api_key=f"{key.prefix}.{secret}")


def _key(tenant: TenantContext, key_id: str) -> ApiKeyItem:
    item = ApiKeys(tenant).get(key_id, consistent=True)
    if item is None:
        raise NotFound(f"No API key {key_id!r} in this tenant")
    return item


def create_api_key(tenant: TenantContext, request: ApiKeyCreate, principal: Principal) -> ApiKeyWithSecret:
    require_within_caller_role(principal, request.role, "create an API key")
    now = datetime.now(UTC)
    expires_at = request.expires_at.astimezone(UTC) if request.expires_at else None
    if expires_at is not None and expires_at <= now:
        raise BadRequest("expires_at is in the past")
    keys = ApiKeys(tenant)
    key_id, secret = new_key_id(), new_secret()
    item = keys.new(
        key_id,
        key_id=key_id,
        name=request.name,
        role=request.role.value,
        secret_hash=hash_secret(secret),
        created_by=principal.subject,
        created_at=now,
        expires_at=expires_at,
    )
    keys.create(item)
    return _with_secret(tenant, item, secret)


def get_api_key(tenant: TenantContext, key_id: str) -> ApiKey:
    return _to_model(tenant, _key(tenant, key_id))


def list_api_keys(tenant: TenantContext, *, limit: int, cursor: str | None) -> ApiKeyPage:
    page = ApiKeys(tenant).page(limit=limit, cursor=cursor)
    return ApiKeyPage(items=[_to_model(tenant, item) for item in page.items], next_cursor=page.next_cursor)


def rotate_api_key(tenant: TenantContext, key_id: str, principal: Principal) -> ApiKeyWithSecret:
    """A new secret for the same key; the old secret stops working on the next request."""
    item = _key(tenant, key_id)
    require_within_caller_role(principal, Role(item.role), "rotate an API key")
    if item.revoked_at is not None:
        raise Conflict("The key is revoked")
    secret = new_secret()
    item.secret_hash = hash_secret(secret)
    item.rotated_at = datetime.now(UTC)
    ApiKeys(tenant).save(item)
    return _with_secret(tenant, item, secret)


def revoke_api_key(tenant: TenantContext, key_id: str, principal: Principal) -> ApiKey:
    item = _key(tenant, key_id)
    require_within_caller_role(principal, Role(item.role), "revoke an API key")
    if item.revoked_at is None:
        item.revoked_at = datetime.now(UTC)
        ApiKeys(tenant).save(item)
    return _to_model(tenant, item)
