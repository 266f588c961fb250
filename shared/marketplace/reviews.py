"""Ratings and reviews: one per member per item (a second PUT edits it), only by a tenant that has the item
installed; abuse reports (one per member per review); a reply by the publisher (the namespace's owner tenant).

Reviews are platform-wide listings beside the item's versions. A review is shown by its id (a hash of the author's
tenant and subject), never with the author's tenant or subject. The item record keeps `rating_count`, `rating_sum`
and `rating_average`, which search indexes: the review and the counters change in one transaction, then the
average is set from what that transaction left, on the condition that no other review changed the counters since
(the writer of the last change always succeeds, so the average ends right).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from pydantic import BaseModel, Field
from pynamodb.connection import Connection
from pynamodb.exceptions import PutError, TransactWriteError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from shared.marketplace.publishing import NotPublisher
from shared.problems import Conflict, NotFound, ProblemError
from shared.store.context import TenantContext
from shared.store.marketplace import (
    ITEM_SORT_KEY,
    REPORT_PREFIX,
    REVIEW_PREFIX,
    InstallItem,
    Installs,
    ItemListingItem,
    ReviewItem,
    ReviewReportItem,
    find_listing,
    find_namespace,
    item_key,
)

REVIEW_ID_PATTERN = r"^[0-9a-f]{24}$"
MAX_REVIEWS_PAGE = 100


class NotInstalled(ProblemError):
    status = 403
    slug = "not-installed"
    title = "Only a tenant that installed the item may review it"


class ReviewWrite(BaseModel):
    rating: int = Field(ge=1, le=5, description="1 to 5 stars")
    title: str | None = Field(default=None, max_length=120)
    body: str | None = Field(default=None, max_length=4_000)


class ReviewReport(BaseModel):
    reason: str = Field(min_length=1, max_length=1_000, description="Why the review is abusive")


class ReviewReply(BaseModel):
    body: str = Field(min_length=1, max_length=4_000)


class Review(BaseModel):
    review_id: str
    rating: int
    title: str | None
    body: str | None
    version: str = Field(description="The version the author had installed when writing or last editing it")
    reply: str | None = Field(description="The publisher's reply")
    replied_at: datetime | None
    mine: bool = Field(description="Written by the caller")
    created_at: datetime
    updated_at: datetime


class ReviewPage(BaseModel):
    items: list[Review]
    rating_average: float | None
    rating_count: int


def review_id(tenant_id: str, subject: str) -> str:
    return hashlib.sha256(f"{tenant_id}\n{subject}".encode()).hexdigest()[:24]


def _view(item: ReviewItem, tenant: TenantContext, subject: str) -> Review:
    return Review(
        review_id=item.review_id,
        rating=int(item.rating),
        title=item.title,
        body=item.body,
        version=item.version,
        reply=item.reply,
        replied_at=item.replied_at,
        mine=item.tenant_id == tenant.tenant_id and item.subject == subject,
        created_at=item.created_at,
        updated_at=item.updated_at,
    )


def _listing(namespace: str, name: str) -> ItemListingItem:
    listing = find_listing(namespace, name)
    if listing is None:
        raise NotFound(f"No approved marketplace item {namespace}/{name}")
    return listing


def _installed(tenant: TenantContext, namespace: str, name: str) -> InstallItem:
    found = Installs(tenant).all_matching((InstallItem.namespace == namespace) & (InstallItem.name == name))
    if not found:
        raise NotInstalled(f"Install {namespace}/{name} before rating it")
    return found[0]


def _find_review(namespace: str, name: str, review: str) -> ReviewItem:
    try:
        return ReviewItem.get(item_key(namespace, name), REVIEW_PREFIX + review)
    except ReviewItem.DoesNotExist as missing:
        raise NotFound(f"No review {review!r} of {namespace}/{name}") from missing


def _set_average(namespace: str, name: str) -> None:
    listing = _listing(namespace, name)
    count, total = int(listing.rating_count), int(listing.rating_sum)
    try:
        average = (
            ItemListingItem.rating_average.set(round(total / count, 2))
            if count
            else ItemListingItem.rating_average.remove()
        )
        listing.update(
            actions=[average],
            condition=(ItemListingItem.rating_count == count) & (ItemListingItem.rating_sum == total),
        )
    except UpdateError:
        # Another review changed the counters meanwhile; its writer sets the average from them.
        return


def put_review(tenant: TenantContext, subject: str, namespace: str, name: str, request: ReviewWrite) -> Review:
    """Writes the member's review, or edits it: the item's counters move by the change of rating."""
    _listing(namespace, name)
    install = _installed(tenant, namespace, name)
    key = item_key(namespace, name)
    identifier = review_id(tenant.tenant_id, subject)
    now = datetime.now(UTC)
    try:
        before: ReviewItem | None = ReviewItem.get(key, REVIEW_PREFIX + identifier)
    except ReviewItem.DoesNotExist:
        before = None
    review = ReviewItem(
        key,
        REVIEW_PREFIX + identifier,
        review_id=identifier,
        tenant_id=tenant.tenant_id,
        subject=subject,
        rating=request.rating,
        title=request.title,
        body=request.body,
        version=install.version,
        reply=None if before is None else before.reply,
        replied_at=None if before is None else before.replied_at,
        reports=0 if before is None else before.reports,
        created_at=now if before is None else before.created_at,
        updated_at=now,
    )
    listing = ItemListingItem(key, ITEM_SORT_KEY)
    counters: list[Action] = [
        ItemListingItem.rating_sum.add(request.rating - (0 if before is None else int(before.rating)))
    ]
    if before is None:
        counters.append(ItemListingItem.rating_count.add(1))
    # The first write of a review must not replace one written meanwhile; an edit, not one edited meanwhile.
    unchanged = ReviewItem.sk.does_not_exist() if before is None else ReviewItem.updated_at == before.updated_at
    try:
        with TransactWrite(connection=Connection()) as transaction:
            transaction.save(review, condition=unchanged)
            transaction.update(listing, actions=counters, condition=ItemListingItem.sk.exists())
    except (TransactWriteError, PutError) as error:
        raise Conflict("The review changed meanwhile; read it and try again") from error
    _set_average(namespace, name)
    return _view(review, tenant, subject)


def delete_review(tenant: TenantContext, subject: str, namespace: str, name: str) -> None:
    review = _find_review(namespace, name, review_id(tenant.tenant_id, subject))
    listing = ItemListingItem(item_key(namespace, name), ITEM_SORT_KEY)
    try:
        with TransactWrite(connection=Connection()) as transaction:
            transaction.delete(review, condition=ReviewItem.updated_at == review.updated_at)
            transaction.update(
                listing,
                actions=[ItemListingItem.rating_sum.add(-int(review.rating)), ItemListingItem.rating_count.add(-1)],
            )
    except TransactWriteError as error:
        raise Conflict("The review changed meanwhile; read it and try again") from error
    _set_average(namespace, name)


def list_reviews(tenant: TenantContext, subject: str, namespace: str, name: str, limit: int) -> ReviewPage:
    listing = _listing(namespace, name)
    items = ReviewItem.query(
        item_key(namespace, name), ReviewItem.sk.startswith(REVIEW_PREFIX), limit=min(limit, MAX_REVIEWS_PAGE)
    )
    return ReviewPage(
        items=sorted(
            (_view(item, tenant, subject) for item in items), key=lambda review: review.updated_at, reverse=True
        ),
        rating_average=None if listing.rating_average is None else float(listing.rating_average),
        rating_count=int(listing.rating_count),
    )


def report_review(
    tenant: TenantContext, subject: str, namespace: str, name: str, review: str, request: ReviewReport
) -> None:
    """Records one member's abuse report of a review (a second one by the same member is 409)."""
    found = _find_review(namespace, name, review)
    reporter = review_id(tenant.tenant_id, subject)
    report = ReviewReportItem(
        item_key(namespace, name),
        f"{REPORT_PREFIX}{review}#{reporter}",
        review_id=review,
        reporter_tenant_id=tenant.tenant_id,
        reporter=subject,
        reason=request.reason,
        reported_at=datetime.now(UTC),
    )
    try:
        with TransactWrite(connection=Connection()) as transaction:
            transaction.save(report, condition=ReviewReportItem.sk.does_not_exist())
            transaction.update(found, actions=[ReviewItem.reports.add(1)], condition=ReviewItem.sk.exists())
    except TransactWriteError as error:
        raise Conflict("You reported this review already") from error


def reply_to_review(
    tenant: TenantContext, subject: str, namespace: str, name: str, review: str, request: ReviewReply
) -> Review:
    """The publisher's reply to a review: only the namespace's owner tenant may write it (or replace it)."""
    publisher = find_namespace(namespace)
    if publisher is None or publisher.owner_tenant_id != tenant.tenant_id:
        raise NotPublisher(f"Only the publisher of {namespace} replies to its reviews")
    found = _find_review(namespace, name, review)
    now = datetime.now(UTC)
    found.update(actions=[ReviewItem.reply.set(request.body), ReviewItem.replied_at.set(now)])
    return _view(found, tenant, subject)
