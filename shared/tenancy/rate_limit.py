"""Per-tenant token bucket (GCRA) in DynamoDB: each admitted request is one atomic conditional update."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import NoReturn

from pynamodb.exceptions import UpdateError

from shared.auth.errors import RateLimited, TenantInactive
from shared.store.tenancy import RateBucketItem, RateBuckets
from shared.store.tenant_scoped import TenantContext
from shared.tenancy.tiers import TierLimits

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


def new_bucket(tenant: TenantContext, limits: TierLimits, tenant_status: str) -> RateBucketItem:
    interval = _MICROS // limits.requests_per_second
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


def _reset_if_idle(bucket: RateBucketItem, now: int) -> bool:
    """An idle bucket (tat in the past) starts again from now, full."""
    return _try_update(
        bucket,
        [
            RateBucketItem.tat.set(RateBucketItem.interval + now),
            RateBucketItem.gate.set(RateBucketItem.reset_gate_offset + now),
        ],
        (RateBucketItem.tat < now) & (RateBucketItem.tenant_status == ACTIVE),
    )


def _take_if_allowed(bucket: RateBucketItem, now: int) -> bool:
    """A busy bucket admits the request while its gate (tat minus the burst tolerance) is not in the future."""
    return _try_update(
        bucket,
        [
            RateBucketItem.tat.set(RateBucketItem.tat + RateBucketItem.interval),
            RateBucketItem.gate.set(RateBucketItem.gate + RateBucketItem.interval),
        ],
        (RateBucketItem.tat >= now) & (RateBucketItem.gate <= now) & (RateBucketItem.tenant_status == ACTIVE),
    )


def _try_update(bucket: RateBucketItem, actions: list[object], condition: object) -> bool:
    try:
        bucket.update(actions=actions, condition=condition)  # type: ignore[arg-type]
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


def _decision(bucket: RateBucketItem, now: int) -> RateDecision:
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
    retry_after = max(1, math.ceil((int(current.gate) - now) / _MICROS))
    decision = RateDecision(limit=int(current.burst), remaining=0, reset_seconds=retry_after)
    raise RateLimited(
        f"The tenant's tier allows {decision.limit} requests in a burst; retry after {retry_after} s",
        headers={"Retry-After": str(retry_after), **decision.headers()},
    )


def set_bucket_limits(tenant: TenantContext, limits: TierLimits, tenant_status: str) -> None:
    """Applies a tier or status change to the bucket without refilling it."""
    interval = _MICROS // limits.requests_per_second
    RateBuckets(tenant).new(BUCKET_KEY).update(
        actions=[
            RateBucketItem.interval.set(interval),
            RateBucketItem.reset_gate_offset.set(-(limits.burst - 2) * interval),
            RateBucketItem.burst.set(limits.burst),
            RateBucketItem.tenant_status.set(tenant_status),
        ]
    )
