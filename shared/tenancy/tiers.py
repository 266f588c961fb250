"""The tier table: what each tier gets, read by the rate limiter, the quota checks and the CDK usage plans."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Tier(StrEnum):
    BASIC = "basic"
    PROFESSIONAL = "professional"
    ENTERPRISE = "enterprise"


class Deployment(StrEnum):
    """Where a tenant's resources live: shared tables (pool), dedicated ones in the shared stack (bridge), own stack."""

    POOL = "pool"
    BRIDGE = "bridge"
    SILO = "silo"


@dataclass(frozen=True)
class TierLimits:
    tier: Tier
    deployment: Deployment
    requests_per_second: int
    burst: int
    monthly_executions: int
    # Model tokens (input + output) the tenant's agents may spend in a calendar month (UTC).
    monthly_agent_tokens: int
    concurrent_executions: int
    max_workflows: int
    storage_bytes: int


_GIB = 1024**3

TIERS: dict[Tier, TierLimits] = {
    Tier.BASIC: TierLimits(
        tier=Tier.BASIC,
        deployment=Deployment.POOL,
        requests_per_second=10,
        burst=20,
        monthly_executions=10_000,
        monthly_agent_tokens=2_000_000,
        concurrent_executions=10,
        max_workflows=25,
        storage_bytes=1 * _GIB,
    ),
    Tier.PROFESSIONAL: TierLimits(
        tier=Tier.PROFESSIONAL,
        deployment=Deployment.BRIDGE,
        requests_per_second=50,
        burst=100,
        monthly_executions=250_000,
        monthly_agent_tokens=50_000_000,
        concurrent_executions=100,
        max_workflows=250,
        storage_bytes=25 * _GIB,
    ),
    Tier.ENTERPRISE: TierLimits(
        tier=Tier.ENTERPRISE,
        deployment=Deployment.SILO,
        requests_per_second=250,
        burst=500,
        monthly_executions=5_000_000,
        monthly_agent_tokens=1_000_000_000,
        concurrent_executions=1_000,
        max_workflows=2_500,
        storage_bytes=500 * _GIB,
    ),
}


@dataclass(frozen=True)
class RateLimits:
    """A request rate outside the tier table."""

    requests_per_second: int
    burst: int


# Each platform admin's own bucket: generous for people and scripts, a stop for a runaway loop with admin rights.
PLATFORM_ADMIN_RATE = RateLimits(requests_per_second=25, burst=100)


def tier_limits(tier: Tier | str) -> TierLimits:
    return TIERS[Tier(tier)]
