"""The per-tenant token bucket: bursts beyond the tier's limit get 429, and concurrency never lets more through."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from moto.dynamodb.models import DynamoDBBackend

from shared.auth.errors import QuotaExceeded, RateLimited
from shared.auth.principal import Role
from shared.store.tenant_scoped import TenantContext
from shared.tenancy import rate_limit
from shared.tenancy.quotas import consume_monthly_execution
from shared.tenancy.rate_limit import consume_request_token
from shared.tenancy.tiers import Tier, tier_limits
from tests.integration.tenancy.conftest import make_tenant


@pytest.fixture
def item_writes_are_atomic(monkeypatch):
    """DynamoDB serializes the writes to one item; moto does not, so the emulation gets a lock around them."""
    lock = threading.Lock()
    original = DynamoDBBackend.update_item

    def update_item(self, *args, **kwargs):
        with lock:
            return original(self, *args, **kwargs)

    monkeypatch.setattr(DynamoDBBackend, "update_item", update_item)


def test_a_burst_over_the_tier_limit_gets_429_with_retry_after(api, issuer, admin_headers, monkeypatch) -> None:
    world = make_tenant(api, issuer, admin_headers, "bursty", tier="basic")
    # The burst arrives at one instant: on a slow machine real time would refill the bucket between requests.
    frozen = rate_limit._now_micros()
    monkeypatch.setattr(rate_limit, "_now_micros", lambda: frozen)
    burst = tier_limits(Tier.BASIC).burst
    statuses = []
    last = None
    for _ in range(burst + 10):
        last = api.get("/v1/me", headers={"x-api-key": world.api_key})
        statuses.append(last.status_code)
        if last.status_code == 429:
            break
    assert last is not None and last.status_code == 429
    # make_tenant itself spent some of the burst; the rest was admitted, and not one more.
    assert statuses.count(200) <= burst
    problem = last.json()
    assert problem["title"] == "Too many requests"
    assert int(last.headers["retry-after"]) >= 1
    assert last.headers["ratelimit-limit"] == str(burst)
    assert last.headers["ratelimit-remaining"] == "0"
    admitted = api.get("/v1/members", headers=world.headers[Role.OWNER])
    assert admitted.status_code == 429


def test_admitted_responses_say_what_is_left(api, issuer, admin_headers) -> None:
    world = make_tenant(api, issuer, admin_headers, "polite")
    response = api.get("/v1/me", headers={"x-api-key": world.api_key})
    assert response.headers["ratelimit-limit"] == str(tier_limits(Tier.ENTERPRISE).burst)
    assert 0 < int(response.headers["ratelimit-remaining"]) < tier_limits(Tier.ENTERPRISE).burst


def test_under_concurrency_the_bucket_never_admits_more_than_the_limit(
    api, issuer, admin_headers, item_writes_are_atomic, monkeypatch
) -> None:
    world = make_tenant(api, issuer, admin_headers, "crowd", tier="basic")
    tenant = TenantContext(world.tenant_id)
    limits = tier_limits(Tier.BASIC)
    time.sleep(limits.burst / limits.requests_per_second)  # let the bucket refill completely
    # All 200 attempts arrive at one instant, so exactly the burst may pass however slow the machine is.
    frozen = rate_limit._now_micros()
    monkeypatch.setattr(rate_limit, "_now_micros", lambda: frozen)

    def attempt(_: int) -> bool:
        try:
            consume_request_token(tenant)
        except RateLimited:
            return False
        return True

    with ThreadPoolExecutor(max_workers=16) as pool:
        admitted = sum(pool.map(attempt, range(200)))
    assert admitted == limits.burst


def test_the_monthly_execution_quota_stops_at_the_tier_limit(emulated_aws, monkeypatch) -> None:
    from shared.tenancy import tiers

    small = tiers.TierLimits(**{**tiers.TIERS[Tier.BASIC].__dict__, "monthly_executions": 3})
    monkeypatch.setitem(tiers.TIERS, Tier.BASIC, small)
    tenant = TenantContext("quotatenant01")
    assert [consume_monthly_execution(tenant, Tier.BASIC) for _ in range(3)] == [1, 2, 3]
    with pytest.raises(QuotaExceeded) as refused:
        consume_monthly_execution(tenant, Tier.BASIC)
    assert refused.value.extensions["quota"] == "monthly_executions"
