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
from shared.tenancy.tiers import PLATFORM_ADMIN_RATE, Tier, tier_limits
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


def _spend_until_refused(api, headers: dict[str, str], limit: int) -> list[int]:
    statuses = []
    for _ in range(limit + 10):
        statuses.append(api.get("/v1/me", headers=headers).status_code)
        if statuses[-1] == 429:
            break
    return statuses


def test_platform_admins_have_a_bucket_of_their_own(api, issuer, admin_headers, monkeypatch) -> None:
    frozen = rate_limit._now_micros()
    monkeypatch.setattr(rate_limit, "_now_micros", lambda: frozen)
    statuses = []
    last = None
    for _ in range(PLATFORM_ADMIN_RATE.burst + 10):
        last = api.get("/v1/tenants", headers=admin_headers)
        statuses.append(last.status_code)
        if last.status_code == 429:
            break
    assert last is not None and last.status_code == 429, statuses
    assert statuses.count(200) == PLATFORM_ADMIN_RATE.burst
    assert last.json()["title"] == "Too many requests"
    assert int(last.headers["retry-after"]) >= 1
    assert last.headers["ratelimit-limit"] == str(PLATFORM_ADMIN_RATE.burst)
    # Each admin has a bucket: another admin is not held back by the first one's burst.
    other = {"authorization": f"Bearer {issuer.mint('other-admin@example.com', platform_admin=True)}"}
    admitted = api.get("/v1/tenants", headers=other)
    assert admitted.status_code == 200
    assert int(admitted.headers["ratelimit-remaining"]) == PLATFORM_ADMIN_RATE.burst - 1


def test_a_tier_upgrade_rescales_a_spent_bucket_to_the_new_tiers_capacity(
    api, issuer, admin_headers, monkeypatch
) -> None:
    world = make_tenant(api, issuer, admin_headers, "upgrader", tier="basic")
    frozen = rate_limit._now_micros()
    monkeypatch.setattr(rate_limit, "_now_micros", lambda: frozen)
    basic, professional = tier_limits(Tier.BASIC), tier_limits(Tier.PROFESSIONAL)
    key = {"x-api-key": world.api_key}
    assert _spend_until_refused(api, key, basic.burst)[-1] == 429

    upgraded = api.patch(f"/v1/tenants/{world.tenant_id}", headers=admin_headers, json={"tier": "professional"})
    assert upgraded.status_code == 200, upgraded.text
    admitted = api.get("/v1/me", headers=key)
    assert admitted.status_code == 200
    # The basic burst stays spent, at the professional tier's capacity: the rest of the larger burst is there.
    assert admitted.headers["ratelimit-limit"] == str(professional.burst)
    assert int(admitted.headers["ratelimit-remaining"]) == professional.burst - basic.burst - 1
    statuses = _spend_until_refused(api, key, professional.burst)
    assert statuses[-1] == 429 and statuses.count(200) == professional.burst - basic.burst - 1


def test_a_tier_downgrade_rescales_the_bucket_so_no_old_burst_is_left(api, issuer, admin_headers, monkeypatch) -> None:
    world = make_tenant(api, issuer, admin_headers, "downgrader", tier="enterprise")
    frozen = rate_limit._now_micros()
    monkeypatch.setattr(rate_limit, "_now_micros", lambda: frozen)
    basic = tier_limits(Tier.BASIC)
    key = {"x-api-key": world.api_key}
    for _ in range(basic.burst + 5):
        assert api.get("/v1/me", headers=key).status_code == 200

    downgraded = api.patch(f"/v1/tenants/{world.tenant_id}", headers=admin_headers, json={"tier": "basic"})
    assert downgraded.status_code == 200, downgraded.text
    refused = api.get("/v1/me", headers=key)
    assert refused.status_code == 429
    assert refused.headers["ratelimit-limit"] == str(basic.burst)
    # The rescaled bucket refills at the basic tier's rate: one request's interval later, one more is admitted.
    monkeypatch.setattr(rate_limit, "_now_micros", lambda: frozen + 1_000_000 // basic.requests_per_second)
    assert api.get("/v1/me", headers=key).status_code == 200
    assert api.get("/v1/me", headers=key).status_code == 429


def test_a_tier_change_racing_requests_is_applied_to_the_bucket_as_it_is_then(emulated_aws, monkeypatch) -> None:
    """The rescale is conditional on the bucket it read: a request admitted in between makes it read again."""
    from shared.auth.principal import AuthMethod, Principal
    from shared.tenancy import tenants

    created = tenants.create_tenant(
        tenants.TenantCreate(slug="racer", display_name="Racer", owner=tenants.TenantOwner(subject="racer-owner"))
    )
    tenant = TenantContext(created.tenant_id)
    frozen = rate_limit._now_micros()
    monkeypatch.setattr(rate_limit, "_now_micros", lambda: frozen)
    consume_request_token(tenant)
    original = rate_limit.rescale_bucket
    raced: list[object] = []

    def rescale_then_race(context, limits):
        rescale = original(context, limits)
        if not raced:
            raced.append(consume_request_token(tenant))  # admitted after the read, before the write
        return rescale

    monkeypatch.setattr(tenants, "rescale_bucket", rescale_then_race)
    admin = Principal(subject="admin", method=AuthMethod.JWT, is_platform_admin=True)
    updated = tenants.update_tenant(created.tenant_id, tenants.TenantUpdate(tier=Tier.PROFESSIONAL), admin)
    assert updated.tier is Tier.PROFESSIONAL and raced
    decision = consume_request_token(tenant)
    # Both earlier requests count against the new capacity: 2 spent, this one the third.
    assert decision.limit == tier_limits(Tier.PROFESSIONAL).burst
    assert decision.remaining == tier_limits(Tier.PROFESSIONAL).burst - 3
