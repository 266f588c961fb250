"""Tenants, members, API keys, rate-limit buckets and usage counters in the tenancy table."""

from __future__ import annotations

from collections.abc import Iterator

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from shared.resources import TENANCY_TABLE
from shared.store.cursors import decode_cursor, encode_cursor
from shared.store.tables import model_table_name
from shared.store.tenant_scoped import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    TenantScopedItem,
    TenantScopedRepository,
)

_TABLE = model_table_name(TENANCY_TABLE)
TENANT_RECORD_KEY = "TENANT"
TENANTS_INDEX_PARTITION = "TENANTS"
_TENANTS_LIST_SCOPE = "platform:tenants"


class TenantsByCreation(GlobalSecondaryIndex["TenantItem"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "tenants_by_creation"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class TenantItem(TenantScopedItem):
    class Meta:
        table_name = _TABLE

    tenant_id = UnicodeAttribute()
    slug = UnicodeAttribute()
    display_name = UnicodeAttribute()
    tier = UnicodeAttribute()
    home_region = UnicodeAttribute()
    status = UnicodeAttribute()
    settings = JSONAttribute(default=dict)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    deleted_at = UTCDateTimeAttribute(null=True)
    purge_after = UTCDateTimeAttribute(null=True)
    # Held by the call purging the tenant (shared/operations/tenant_purge.py): one call at a time.
    purge_lease = UnicodeAttribute(null=True)
    purge_lease_until = UTCDateTimeAttribute(null=True)
    gsi1pk = UnicodeAttribute(default=TENANTS_INDEX_PARTITION)
    gsi1sk = UnicodeAttribute()
    tenants_by_creation = TenantsByCreation()


class SlugItem(Model):
    """Claims a slug for one tenant; platform-wide, so it lives outside every tenant partition."""

    class Meta:
        table_name = _TABLE

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default="SLUG")
    tenant_id = UnicodeAttribute()


class MemberItem(TenantScopedItem):
    class Meta:
        table_name = _TABLE

    subject = UnicodeAttribute()
    email = UnicodeAttribute(null=True)
    role = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()


class ApiKeyItem(TenantScopedItem):
    class Meta:
        table_name = _TABLE

    key_id = UnicodeAttribute()
    name = UnicodeAttribute()
    role = UnicodeAttribute()
    secret_hash = UnicodeAttribute()
    created_by = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    expires_at = UTCDateTimeAttribute(null=True)
    rotated_at = UTCDateTimeAttribute(null=True)
    revoked_at = UTCDateTimeAttribute(null=True)


class RateBucketItem(TenantScopedItem):
    """A GCRA token bucket: `tat` is the theoretical arrival time (µs); `gate` = tat - (burst - 1) * interval."""

    class Meta:
        table_name = _TABLE

    tat = NumberAttribute()
    gate = NumberAttribute()
    interval = NumberAttribute()
    # -(burst - 2) * interval: what `gate` is relative to `now` when an idle bucket is reset.
    reset_gate_offset = NumberAttribute()
    burst = NumberAttribute()
    tenant_status = UnicodeAttribute()


class PlatformRateBucketItem(Model):
    """A platform admin's GCRA bucket (same fields as RateBucketItem), outside every tenant partition."""

    class Meta:
        table_name = _TABLE

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    tat = NumberAttribute()
    gate = NumberAttribute()
    interval = NumberAttribute()
    reset_gate_offset = NumberAttribute()
    burst = NumberAttribute()
    tenant_status = UnicodeAttribute()


class UsageItem(TenantScopedItem):
    """A month's usage (`MONTH#<yyyy-mm>`) of the whole tenant, or of one workflow (`MONTH#<yyyy-mm>#WORKFLOW#<id>`)."""

    class Meta:
        table_name = _TABLE

    executions = NumberAttribute(default=0)
    input_tokens = NumberAttribute(null=True)
    output_tokens = NumberAttribute(null=True)
    workflow_id = UnicodeAttribute(null=True)
    # The tier's monthly token quota as the month's latest execution count found it (what a model turn checks).
    agent_tokens_limit = NumberAttribute(null=True)
    # The executions table's stream sequence number (40 digits) of the last execution counted here: a batch delivered
    # again counts only what comes after it (shared/tenancy/quotas.py's count_started_executions).
    counted_through = UnicodeAttribute(null=True)


class TenantRecords(TenantScopedRepository[TenantItem]):
    model = TenantItem
    collection = ""


class Members(TenantScopedRepository[MemberItem]):
    model = MemberItem
    collection = "MEMBER"


class ApiKeys(TenantScopedRepository[ApiKeyItem]):
    model = ApiKeyItem
    collection = "APIKEY"


class RateBuckets(TenantScopedRepository[RateBucketItem]):
    model = RateBucketItem
    collection = "RATE"


class Usage(TenantScopedRepository[UsageItem]):
    model = UsageItem
    collection = "USAGE"


PLATFORM_BUCKETS_PARTITION = "PLATFORM#RATE"
PURGED_TENANTS_PARTITION = "PLATFORM#PURGED"


class PurgedTenantItem(Model):
    """That a tenant was purged, outside its (removed) partitions: a repeated purge finds it done, not unknown."""

    class Meta:
        table_name = _TABLE

    pk = UnicodeAttribute(hash_key=True, default=PURGED_TENANTS_PARTITION)
    sk = UnicodeAttribute(range_key=True)
    slug = UnicodeAttribute()
    purged_at = UTCDateTimeAttribute()


def find_purged(tenant_id: str) -> PurgedTenantItem | None:
    try:
        return PurgedTenantItem.get(PURGED_TENANTS_PARTITION, tenant_id, consistent_read=True)
    except DoesNotExist:
        return None


def platform_admin_bucket(subject: str) -> PlatformRateBucketItem:
    """The key of one platform admin's bucket (the item may not exist yet: the limiter creates it)."""
    return PlatformRateBucketItem(PLATFORM_BUCKETS_PARTITION, f"ADMIN#{subject}")


def slug_key(slug: str) -> str:
    return f"SLUG#{slug}"


def find_slug(slug: str) -> SlugItem | None:
    try:
        return SlugItem.get(slug_key(slug), "SLUG")
    except DoesNotExist:
        return None


def list_tenant_records(
    limit: int = DEFAULT_PAGE_SIZE, cursor: str | None = None
) -> tuple[list[TenantItem], str | None]:
    """Every tenant, oldest first: the platform admin's view, through the `tenants_by_creation` index."""
    index_key = {"pk": None, "sk": None, "gsi1pk": TENANTS_INDEX_PARTITION, "gsi1sk": None}
    last_key = decode_cursor(_TENANTS_LIST_SCOPE, cursor, index_key) if cursor else None
    results = TenantItem.tenants_by_creation.query(
        TENANTS_INDEX_PARTITION, limit=max(1, min(limit, MAX_PAGE_SIZE)), last_evaluated_key=last_key
    )
    items = list(results)
    next_key = results.last_evaluated_key
    return items, encode_cursor(_TENANTS_LIST_SCOPE, next_key) if next_key else None


def every_tenant() -> Iterator[TenantItem]:
    """Every tenant's record, oldest first, a page of the `tenants_by_creation` index at a time."""
    cursor: str | None = None
    while True:
        items, cursor = list_tenant_records(limit=MAX_PAGE_SIZE, cursor=cursor)
        yield from items
        if cursor is None:
            return
