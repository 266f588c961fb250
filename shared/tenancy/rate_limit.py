"""Token buckets (GCRA) in DynamoDB, one per tenant and one per platform admin: each admitted request is one atomic
conditional update."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import NoReturn

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from shared.auth.errors import RateLimited, TenantInactive
from shared.store.tenancy import PlatformRateBucketItem, RateBucketItem, RateBuckets, platform_admin_bucket
from shared.store.tenant_scoped import TenantContext
from shared.tenancy.tiers import PLATFORM_ADMIN_RATE, RateLimits, TierLimits

AnyBucket = RateBucketItem | PlatformRateBucketItem

BUCKET_KEY = "BUCKET"
ACTIVE = "active"
_MICROS = 1_000_000
# The last theoretical arrival time this process saw per tenant: it picks the update most likely to succeed first.
_last_seen_tat: dict[str, int] = {}


@dataclass(frozen=True)
class RateDecision:
    limit: int
    remaining: int
    reset_seconds: int

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_seconds),
        }


def _now_micros() -> int:
    return time.time_ns() // 1000


def _interval(limits: TierLimits | RateLimits) -> int:
    return _MICROS // limits.requests_per_second


def new_bucket(tenant: TenantContext, limits: TierLimits, tenant_status: str) -> RateBucketItem:
    interval = _interval(limits)
    bucket: RateBucketItem = RateBuckets(tenant).new(
        BUCKET_KEY,
        tat=0,
        gate=0,
        interval=interval,
        reset_gate_offset=-(limits.burst - 2) * interval,
        burst=limits.burst,
        tenant_status=tenant_status,
    )
    return bucket


def _reset_if_idle(bucket: AnyBucket, now: int) -> bool:
    """An idle bucket (tat in the past) starts again from now, full."""
    model = type(bucket)
    return _try_update(
        bucket,
        [model.tat.set(model.interval + now), model.gate.set(model.reset_gate_offset + now)],
        (model.tat < now) & (model.tenant_status == ACTIVE),
    )


def _take_if_allowed(bucket: AnyBucket, now: int) -> bool:
    """A busy bucket admits the request while its gate (tat minus the burst tolerance) is not in the future."""
    model = type(bucket)
    return _try_update(
        bucket,
        [model.tat.set(model.tat + model.interval), model.gate.set(model.gate + model.interval)],
        (model.tat >= now) & (model.gate <= now) & (model.tenant_status == ACTIVE),
    )


def _start_platform_bucket(bucket: PlatformRateBucketItem, now: int) -> bool:
    """A platform admin's bucket is created by its first request, and an idle one starts again full."""
    interval = _interval(PLATFORM_ADMIN_RATE)
    burst = PLATFORM_ADMIN_RATE.burst
    model = PlatformRateBucketItem
    return _try_update(
        bucket,
        [
            model.tat.set(now + interval),
            model.gate.set(now - (burst - 2) * interval),
            model.interval.set(interval),
            model.reset_gate_offset.set(-(burst - 2) * interval),
            model.burst.set(burst),
            model.tenant_status.set(ACTIVE),
        ],
        model.pk.does_not_exist() | (model.tat < now),
    )


def _try_update(bucket: AnyBucket, actions: list[Action], condition: Condition) -> bool:
    try:
        bucket.update(actions=actions, condition=condition)
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def consume_request_token(tenant: TenantContext) -> RateDecision:
    """Admits one request of the tenant or raises RateLimited (429) / TenantInactive (403)."""
    bucket = RateBuckets(tenant).new(BUCKET_KEY)
    now = _now_micros()
    idle_first = _last_seen_tat.get(tenant.tenant_id, 0) < now
    attempts = (_reset_if_idle, _take_if_allowed) if idle_first else (_take_if_allowed, _reset_if_idle)
    for attempt in attempts:
        if attempt(bucket, now):
            _last_seen_tat[tenant.tenant_id] = int(bucket.tat)
            return _decision(bucket, now)
    return _refuse(tenant, now)


def consume_platform_admin_token(subject: str) -> RateDecision:
    """Admits one request of a platform admin (each has a bucket of PLATFORM_ADMIN_RATE) or raises RateLimited."""
    bucket = platform_admin_bucket(subject)
    now = _now_micros()
    idle_first = _last_seen_tat.get(bucket.sk, 0) < now
    attempts = (_start_platform_bucket, _take_if_allowed) if idle_first else (_take_if_allowed, _start_platform_bucket)
    for attempt in attempts:
        if attempt(bucket, now):
            _last_seen_tat[bucket.sk] = int(bucket.tat)
            return _decision(bucket, now)
    current = platform_admin_bucket(subject)
    current.refresh(consistent_read=True)
    _last_seen_tat[bucket.sk] = int(current.tat)
    _raise_limited(current, now, f"A platform admin may send {int(current.burst)} requests in a burst")


def _decision(bucket: AnyBucket, now: int) -> RateDecision:
    interval, burst = int(bucket.interval), int(bucket.burst)
    remaining = max(0, min(burst, (now + burst * interval - int(bucket.tat)) // interval))
    return RateDecision(
        limit=burst, remaining=remaining, reset_seconds=math.ceil(max(0, int(bucket.tat) - now) / _MICROS)
    )


def _refuse(tenant: TenantContext, now: int) -> NoReturn:
    current = RateBuckets(tenant).get(BUCKET_KEY, consistent=True)
    if current is None or current.tenant_status != ACTIVE:
        raise TenantInactive(f"Tenant {tenant.tenant_id} is {current.tenant_status if current else 'not provisioned'}")
    _last_seen_tat[tenant.tenant_id] = int(current.tat)
    _raise_limited(current, now, f"The tenant's tier allows {int(current.burst)} requests in a burst")


def _raise_limited(current: AnyBucket, now: int, what: str) -> NoReturn:
    retry_after = max(1, math.ceil((int(current.gate) - now) / _MICROS))
    decision = RateDecision(limit=int(current.burst), remaining=0, reset_seconds=retry_after)
    raise RateLimited(
        f"{what}; retry after {retry_after} s", headers={"Retry-After": str(retry_after), **decision.headers()}
    )


def set_bucket_status(tenant: TenantContext, tenant_status: str) -> None:
    """Applies a status change to the bucket: only an active tenant's requests are admitted."""
    RateBuckets(tenant).new(BUCKET_KEY).update(actions=[RateBucketItem.tenant_status.set(tenant_status)])


@dataclass(frozen=True)
class BucketRescale:
    """The conditional update that moves a tenant's bucket to another tier's capacity and refill rate."""

    bucket: RateBucketItem
    actions: list[Action]
    condition: Condition


def rescale_bucket(tenant: TenantContext, limits: TierLimits) -> BucketRescale:
    """What the tenant has used of its burst stays used (at most the new burst), at the new tier's interval.

    The update is conditional on the bucket being as read, so a request admitted meanwhile makes it fail and the
    caller reads again; applied in one transaction with the tier change itself (shared/tenancy/tenants.py).
    """
    current = RateBuckets(tenant).get(BUCKET_KEY, consistent=True)
    if current is None:
        raise TenantInactive(f"Tenant {tenant.tenant_id} has no rate-limit bucket")
    now = _now_micros()
    interval = _interval(limits)
    actions: list[Action] = [
        RateBucketItem.interval.set(interval),
        RateBucketItem.reset_gate_offset.set(-(limits.burst - 2) * interval),
        RateBucketItem.burst.set(limits.burst),
    ]
    old_tat, old_interval = int(current.tat), int(current.interval)
    if old_tat >= now:
        used = min(limits.burst, math.ceil((old_tat - now) / old_interval))
        tat = now + used * interval
        actions += [RateBucketItem.tat.set(tat), RateBucketItem.gate.set(tat - (limits.burst - 1) * interval)]
    condition = (RateBucketItem.tat == old_tat) & (RateBucketItem.interval == old_interval)
    return BucketRescale(current, actions, condition)
