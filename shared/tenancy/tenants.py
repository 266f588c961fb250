"""Tenants: created by platform admins, read and tuned by their owners and admins, suspended, deleted, purged."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field
from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from shared.auth.errors import Forbidden
from shared.auth.principal import Principal, Role
from shared.problems import Conflict, NotFound
from shared.store.tenancy import (
    TENANT_RECORD_KEY,
    MemberItem,
    Members,
    SlugItem,
    TenantItem,
    TenantRecords,
    find_slug,
    list_tenant_records,
    slug_key,
)
from shared.store.tenant_scoped import TenantContext
from shared.tenancy.gateway_keys import delete_tenant_key, enable_tenant_key, move_tenant_key, provision_tenant_key
from shared.tenancy.rate_limit import new_bucket, rescale_bucket, set_bucket_status
from shared.tenancy.tenant_settings import TenantSettings
from shared.tenancy.tiers import Deployment, Tier, tier_limits

PURGE_GRACE = timedelta(days=30)
# A tier change races the tenant's own requests for its bucket: read, rescale, write conditionally, this many times.
RESCALE_ATTEMPTS = 8
SLUG_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{1,38}[a-z0-9])$"
REGION_PATTERN = r"^[a-z]{2}(-[a-z]+)+-\d$"


class TenantStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    DELETED = "deleted"
    # Being purged (shared/operations/tenant_purge.py): its data is going; a repeated purge call continues.
    PURGING = "purging"


class TenantOwner(BaseModel):
    subject: str = Field(min_length=1, max_length=128, description="The owner's user id at the identity provider")
    email: str | None = Field(default=None, max_length=254)


class TenantCreate(BaseModel):
    slug: str = Field(pattern=SLUG_PATTERN, description="Unique, URL-safe name")
    display_name: str = Field(min_length=1, max_length=128)
    tier: Tier = Tier.BASIC
    home_region: str = Field(default="us-east-1", pattern=REGION_PATTERN)
    settings: TenantSettings = Field(default_factory=TenantSettings)
    owner: TenantOwner


class TenantUpdate(BaseModel):
    display_name: str | None = Field(default=None, min_length=1, max_length=128)
    settings: TenantSettings | None = None
    tier: Tier | None = Field(default=None, description="Platform admins only")
    home_region: str | None = Field(default=None, pattern=REGION_PATTERN, description="Platform admins only")


class Tenant(BaseModel):
    tenant_id: str
    slug: str
    display_name: str
    tier: Tier
    deployment: Deployment
    home_region: str
    status: TenantStatus
    settings: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None
    purge_after: datetime | None = None


class TenantPage(BaseModel):
    items: list[Tenant]
    next_cursor: str | None


def _to_model(item: TenantItem) -> Tenant:
    return Tenant(
        tenant_id=item.tenant_id,
        slug=item.slug,
        display_name=item.display_name,
        tier=Tier(item.tier),
        deployment=tier_limits(item.tier).deployment,
        home_region=item.home_region,
        status=TenantStatus(item.status),
        settings=item.settings,
        created_at=item.created_at,
        updated_at=item.updated_at,
        deleted_at=item.deleted_at,
        purge_after=item.purge_after,
    )


def _record(tenant_id: str) -> TenantItem:
    item = TenantRecords(TenantContext(tenant_id)).get(TENANT_RECORD_KEY, consistent=True)
    if item is None:
        raise NotFound(f"No tenant with id {tenant_id!r}")
    return item


def create_tenant(request: TenantCreate) -> Tenant:
    tenant = TenantContext(uuid.uuid4().hex)
    now = datetime.now(UTC)
    record = TenantRecords(tenant).new(
        TENANT_RECORD_KEY,
        tenant_id=tenant.tenant_id,
        slug=request.slug,
        display_name=request.display_name,
        tier=request.tier.value,
        home_region=request.home_region,
        status=TenantStatus.ACTIVE.value,
        settings=request.settings.stored(),
        created_at=now,
        updated_at=now,
        gsi1sk=f"{now.isoformat()}#{tenant.tenant_id}",
    )
    owner = Members(tenant).new(
        request.owner.subject,
        subject=request.owner.subject,
        email=request.owner.email,
        role=Role.OWNER.value,
        created_at=now,
        updated_at=now,
    )
    bucket = new_bucket(tenant, tier_limits(request.tier), TenantStatus.ACTIVE.value)
    # The gateway key first: a tenant that exists is always metered by its tier's usage plan.
    provision_tenant_key(tenant.tenant_id, request.tier)
    try:
        with TransactWrite(connection=Connection()) as transaction:
            transaction.save(
                SlugItem(slug_key(request.slug), tenant_id=tenant.tenant_id), condition=SlugItem.pk.does_not_exist()
            )
            transaction.save(record, condition=TenantItem.pk.does_not_exist())
            transaction.save(owner, condition=MemberItem.pk.does_not_exist())
            transaction.save(bucket)
    except TransactWriteError as error:
        delete_tenant_key(tenant.tenant_id)
        if find_slug(request.slug) is not None:
            raise Conflict(f"The slug {request.slug!r} is taken") from error
        raise
    return _to_model(record)


def get_tenant(tenant_id: str) -> Tenant:
    return _to_model(_record(tenant_id))


def list_tenants(*, limit: int, cursor: str | None) -> TenantPage:
    items, next_cursor = list_tenant_records(limit, cursor)
    return TenantPage(items=[_to_model(item) for item in items], next_cursor=next_cursor)


def update_tenant(tenant_id: str, update: TenantUpdate, principal: Principal) -> Tenant:
    if not principal.is_platform_admin and (update.tier is not None or update.home_region is not None):
        raise Forbidden("Only platform admins change a tenant's tier or home region")
    for _ in range(RESCALE_ATTEMPTS):
        item = _record(tenant_id)
        if item.status in (TenantStatus.DELETED, TenantStatus.PURGING):
            raise Conflict(f"The tenant is {item.status}")
        if update.display_name is not None:
            item.display_name = update.display_name
        if update.settings is not None:
            item.settings = update.settings.stored()
        if update.home_region is not None:
            item.home_region = update.home_region
        item.updated_at = datetime.now(UTC)
        if update.tier is None or update.tier == item.tier:
            item.save()
            return _to_model(item)
        old_tier = Tier(item.tier)
        item.tier = update.tier.value
        if _save_with_rescaled_bucket(item, update.tier):
            move_tenant_key(tenant_id, old_tier, update.tier)
            return _to_model(item)
    raise Conflict("The tenant's rate-limit bucket kept changing during the tier change; try again")


def _save_with_rescaled_bucket(item: TenantItem, tier: Tier) -> bool:
    """The tier and the bucket's capacity and refill change together or not at all; False: the bucket moved."""
    rescale = rescale_bucket(TenantContext(item.tenant_id), tier_limits(tier))
    try:
        with TransactWrite(connection=Connection()) as transaction:
            transaction.save(item)
            transaction.update(rescale.bucket, actions=rescale.actions, condition=rescale.condition)
    except TransactWriteError as error:
        reasons = error.cancellation_reasons or []
        if any(reason is not None and reason.code == "ConditionalCheckFailed" for reason in reasons):
            return False
        raise
    return True


def set_tenant_status(tenant_id: str, status: TenantStatus) -> Tenant:
    item = _record(tenant_id)
    if item.status in (TenantStatus.DELETED, TenantStatus.PURGING):
        raise Conflict(f"The tenant is {item.status}; it can only be purged")
    now = datetime.now(UTC)
    item.status = status.value
    item.updated_at = now
    if status == TenantStatus.DELETED:
        item.deleted_at = now
        item.purge_after = now + PURGE_GRACE
    set_bucket_status(TenantContext(tenant_id), status.value)
    item.save()
    enable_tenant_key(tenant_id, status == TenantStatus.ACTIVE)
    return _to_model(item)
