"""Monthly execution quota per tenant: one atomic conditional counter per calendar month (UTC)."""

from __future__ import annotations

from datetime import UTC, datetime

from pynamodb.exceptions import UpdateError

from shared.auth.errors import QuotaExceeded
from shared.store.tenancy import Usage, UsageItem
from shared.store.tenant_scoped import TenantContext
from shared.tenancy.tiers import Tier, tier_limits


def month_key(moment: datetime) -> str:
    return f"MONTH#{moment.astimezone(UTC):%Y-%m}"


def consume_monthly_execution(tenant: TenantContext, tier: Tier | str, *, now: datetime | None = None) -> int:
    """Counts one execution against the tenant's monthly quota and returns the count, or raises QuotaExceeded (429).

    The executions feature calls this where an execution starts.
    """
    limit = tier_limits(tier).monthly_executions
    counter = Usage(tenant).new(month_key(now or datetime.now(UTC)))
    try:
        counter.update(
            actions=[UsageItem.executions.add(1)],
            condition=UsageItem.executions.does_not_exist() | (UsageItem.executions < limit),
        )
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            raise QuotaExceeded(
                f"The monthly execution quota of the {Tier(tier)} tier ({limit}) is used up",
                quota="monthly_executions",
                limit=limit,
            ) from error
        raise
    return int(counter.executions)
