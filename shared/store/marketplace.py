"""The marketplace's records in the platform table, outside every tenant partition (items are platform-wide; the
publishing tenant is an attribute, checked by shared/marketplace/publishing.py).

    MARKET#NS#<namespace>      NAMESPACE          who owns it, its publisher key, whether admins verified it
    MARKET#ITEM#<ns>/<name>    ITEM               the latest approved version's listing (what search indexes)
    MARKET#ITEM#<ns>/<name>    VERSION#<version>  manifest, artefact digests, signatures, scan report, yank/deprecation
    MARKET#ITEM#<ns>/<name>    REVIEW#<review id> one member's rating and review (the id a hash of tenant and member)
    MARKET#ITEM#<ns>/<name>    REPORT#<review id>#<reporter id>  an abuse report, one per member per review
    MARKET#ITEM#<ns>/<name>    PERF#<tenant hash> one opted-in tenant's counters of its executions of the item
    MARKET#PENDING             <published at>#<ns>/<name>#<version>  a version waiting for its scan (the sweep's queue)

Both writes that must never replace a record (claiming a namespace, publishing a version) are conditional puts.
A tenant's installs are tenant data: the workflows table, in the tenant's partition (`Installs`).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.operand import Path
from pynamodb.expressions.update import Action
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from shared.resources import PLATFORM_TABLE, WORKFLOWS_TABLE
from shared.store.tables import model_table_name
from shared.store.tenant_scoped import TenantScopedItem, TenantScopedRepository

_TABLE = model_table_name(PLATFORM_TABLE)
NAMESPACE_SORT_KEY = "NAMESPACE"
ITEM_SORT_KEY = "ITEM"
VERSION_PREFIX = "VERSION#"
REVIEW_PREFIX = "REVIEW#"
REPORT_PREFIX = "REPORT#"
PERFORMANCE_PREFIX = "PERF#"
PENDING_SCANS_KEY = "MARKET#PENDING"
LISTED_ITEMS_KEY = "MARKET#LISTED"
DURATION_BUCKET_PREFIX = "d"
# Durations fall in buckets of a quarter power of two of milliseconds: a percentile is within 19 % of the truth.
_BUCKETS_PER_DOUBLING = 4


def namespace_key(namespace: str) -> str:
    return f"MARKET#NS#{namespace}"


def item_key(namespace: str, name: str) -> str:
    return f"MARKET#ITEM#{namespace}/{name}"


class NamespaceItem(Model):
    class Meta:
        table_name = _TABLE

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=NAMESPACE_SORT_KEY)
    namespace = UnicodeAttribute()
    owner_tenant_id = UnicodeAttribute()
    public_key = UnicodeAttribute()
    verified = BooleanAttribute(default=False)
    created_at = UTCDateTimeAttribute()
    key_updated_at = UTCDateTimeAttribute()


class ItemListingItem(Model):
    """What search (a stream of this table) indexes, ratings and measured performance will hang off this key."""

    class Meta:
        table_name = _TABLE

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=ITEM_SORT_KEY)
    namespace = UnicodeAttribute()
    name = UnicodeAttribute()
    kind = UnicodeAttribute()
    title = UnicodeAttribute()
    description = UnicodeAttribute()
    license = UnicodeAttribute()
    categories = JSONAttribute(default=list)
    latest_version = UnicodeAttribute()
    updated_at = UTCDateTimeAttribute()
    # Kept by reviews (shared/marketplace/reviews.py); a publish updates only the listing's own attributes.
    rating_sum = NumberAttribute(default=0)
    rating_count = NumberAttribute(default=0)
    rating_average = NumberAttribute(null=True)


class ListingRating(Model):
    """The listing record's average rating as search reads it (written beside the listing by ratings, when any)."""

    class Meta:
        table_name = _TABLE

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=ITEM_SORT_KEY)
    rating_average = NumberAttribute(null=True)


class VersionItem(Model):
    class Meta:
        table_name = _TABLE

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    namespace = UnicodeAttribute()
    name = UnicodeAttribute()
    version = UnicodeAttribute()
    kind = UnicodeAttribute()
    manifest = JSONAttribute()
    # Artefact name → "sha256:<hex>"; the artefacts themselves are in S3 under artefact_prefix.
    digests = JSONAttribute()
    artefact_prefix = UnicodeAttribute()
    publisher_signature = UnicodeAttribute()
    # The namespace's key when the version was published: a later key rotation does not unsign it.
    publisher_key = UnicodeAttribute()
    status = UnicodeAttribute()
    report = JSONAttribute(null=True)
    rules_version = UnicodeAttribute(null=True)
    countersignature = UnicodeAttribute(null=True)
    # The rules version a platform admin asked an approved version to be scanned under; the scanner removes it.
    rescan_requested = UnicodeAttribute(null=True)
    # When the sweep last handed a version the stream left pending to the scanner again (a change, so a MODIFY).
    requeued_at = UTCDateTimeAttribute(null=True)
    yanked = BooleanAttribute(default=False)
    deprecation = UnicodeAttribute(null=True)
    published_by_tenant = UnicodeAttribute()
    published_at = UTCDateTimeAttribute()


class PendingScanItem(Model):
    """A version waiting for its scan, sorted by when it was published: the sweep re-queues those the stream left
    pending (shared/marketplace/publishing.py's `requeue_stale_pending`); the scan deletes it."""

    class Meta:
        table_name = _TABLE

    pk = UnicodeAttribute(hash_key=True, default=PENDING_SCANS_KEY)
    sk = UnicodeAttribute(range_key=True)
    namespace = UnicodeAttribute()
    name = UnicodeAttribute()
    version = UnicodeAttribute()
    requeued_at = UTCDateTimeAttribute(null=True)


class ListedItemEntry(Model):
    """One entry per listed item in one partition, so a rules change and a rebuild of search find every item by a
    query: no platform function may scan the platform table (infra/grants.py)."""

    class Meta:
        table_name = _TABLE

    pk = UnicodeAttribute(hash_key=True, default=LISTED_ITEMS_KEY)
    sk = UnicodeAttribute(range_key=True)
    namespace = UnicodeAttribute()
    name = UnicodeAttribute()


def record_listed_item(namespace: str, name: str) -> None:
    ListedItemEntry(sk=f"{namespace}/{name}", namespace=namespace, name=name).save()


def pending_scan_key(published_at: datetime, namespace: str, name: str, version: str) -> str:
    # A fixed-width UTC time first, so the keys sort by publication and a range query finds the old ones.
    return f"{published_at.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S.%fZ')}#{namespace}/{name}#{version}"


def pending_scans_before(moment: datetime) -> list[PendingScanItem]:
    return list(PendingScanItem.query(PENDING_SCANS_KEY, PendingScanItem.sk < pending_scan_key(moment, "", "", "")))


class ReviewItem(Model):
    """One member's rating of an item; the author's tenant and subject stay in the record, never in a listing."""

    class Meta:
        table_name = _TABLE

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    review_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    subject = UnicodeAttribute()
    rating = NumberAttribute()
    title = UnicodeAttribute(null=True)
    body = UnicodeAttribute(null=True)
    version = UnicodeAttribute()
    reply = UnicodeAttribute(null=True)
    replied_at = UTCDateTimeAttribute(null=True)
    reports = NumberAttribute(default=0)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()


class ReviewReportItem(Model):
    class Meta:
        table_name = _TABLE

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    review_id = UnicodeAttribute()
    reporter_tenant_id = UnicodeAttribute()
    reporter = UnicodeAttribute()
    reason = UnicodeAttribute()
    reported_at = UTCDateTimeAttribute()


class ItemPerformanceItem(Model):
    """One opted-in tenant's executions of an item, only ever added to (shared/marketplace/performance.py): duration
    buckets are sparse top-level numbers `d<bucket>`, so one ADD update counts an execution whatever its bucket."""

    class Meta:
        table_name = _TABLE

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    executions = NumberAttribute(default=0)
    successes = NumberAttribute(default=0)
    tokens = NumberAttribute(default=0)


def tenant_hash(tenant_id: str) -> str:
    return hashlib.sha256(tenant_id.encode()).hexdigest()[:32]


def duration_bucket(duration_ms: int) -> int:
    return max(0, math.ceil(_BUCKETS_PER_DOUBLING * math.log2(max(duration_ms, 1))))


def bucket_bound(bucket: int) -> int:
    """The longest duration (ms) in `bucket`."""
    return round(2 ** (bucket / _BUCKETS_PER_DOUBLING))


def add_execution_performance_in(
    transaction: TransactWrite,
    tenant_id: str,
    items: Iterable[str],
    *,
    succeeded: bool,
    duration_ms: int | None,
    tokens: int,
) -> None:
    """Adds one ended execution to the tenant's counters of each item (`<ns>/<name>`), within the end's transaction."""
    actions: list[Action] = [
        ItemPerformanceItem.executions.add(1),
        ItemPerformanceItem.successes.add(1 if succeeded else 0),
        ItemPerformanceItem.tokens.add(tokens),
    ]
    if duration_ms is not None:
        actions.append(Path(f"{DURATION_BUCKET_PREFIX}{duration_bucket(duration_ms)}").add(1))
    for item in items:
        namespace, name = item.split("/", 1)
        key = ItemPerformanceItem(item_key(namespace, name), PERFORMANCE_PREFIX + tenant_hash(tenant_id))
        transaction.update(key, actions=actions)


def item_performance_records(namespace: str, name: str) -> list[dict[str, float]]:
    """Every contributing tenant's counters of the item, numbers by attribute name (buckets included, which the model
    does not declare)."""
    connection = ItemPerformanceItem._get_connection()
    records: list[dict[str, float]] = []
    start: dict[str, Any] | None = None
    while True:
        page = connection.query(
            item_key(namespace, name),
            range_key_condition=ItemPerformanceItem.sk.startswith(PERFORMANCE_PREFIX),
            exclusive_start_key=start,
        )
        records += [{key: float(value["N"]) for key, value in item.items() if "N" in value} for item in page["Items"]]
        start = page.get("LastEvaluatedKey")
        if start is None:
            return records


def find_namespace(namespace: str) -> NamespaceItem | None:
    try:
        return NamespaceItem.get(namespace_key(namespace), NAMESPACE_SORT_KEY)
    except DoesNotExist:
        return None


def find_listing(namespace: str, name: str) -> ItemListingItem | None:
    try:
        return ItemListingItem.get(item_key(namespace, name), ITEM_SORT_KEY)
    except DoesNotExist:
        return None


def listing_rating(namespace: str, name: str) -> float | None:
    try:
        rating = ListingRating.get(item_key(namespace, name), ITEM_SORT_KEY).rating_average
    except DoesNotExist:
        return None
    return None if rating is None else float(rating)


def listed_items() -> list[tuple[str, str]]:
    """(namespace, name) of every item with a listing, in key order."""
    return [(entry.namespace, entry.name) for entry in ListedItemEntry.query(LISTED_ITEMS_KEY)]


def find_version(namespace: str, name: str, version: str) -> VersionItem | None:
    try:
        return VersionItem.get(item_key(namespace, name), VERSION_PREFIX + version)
    except DoesNotExist:
        return None


def item_versions(namespace: str, name: str, limit: int = 200) -> list[VersionItem]:
    return list(VersionItem.query(item_key(namespace, name), VersionItem.sk.startswith(VERSION_PREFIX), limit=limit))


class InstallItem(TenantScopedItem):
    """What one install added to the tenant: the item's version, the draft workflow, node presets or MCP server it
    made, each with the fingerprint it had when made (uninstall keeps what the tenant changed since)."""

    class Meta:
        table_name = model_table_name(WORKFLOWS_TABLE)

    install_id = UnicodeAttribute()
    namespace = UnicodeAttribute()
    name = UnicodeAttribute()
    version = UnicodeAttribute()
    kind = UnicodeAttribute()
    workflow_id = UnicodeAttribute(null=True)
    missing_credentials = JSONAttribute(default=list)
    # [{"kind": "workflow" | "node_preset" | "mcp_server", "id": …, "fingerprint": …}]
    added = JSONAttribute(default=list)
    # The item's credential name → the tenant's credential standing for it (kept for updates).
    credentials = JSONAttribute(default=dict)
    parameters = JSONAttribute(default=dict)
    updated_at = UTCDateTimeAttribute(null=True)
    installed_at = UTCDateTimeAttribute()
    installed_by = UnicodeAttribute()


class Installs(TenantScopedRepository[InstallItem]):
    """The tenant's marketplace installs by id (the sort key), in the workflows table beside what they made."""

    model = InstallItem
    collection = "MKTINSTALL"
