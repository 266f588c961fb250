"""Monthly execution quota per tenant: one atomic conditional counter per calendar month (UTC).

`monthly_execution_unit` builds the one conditional update that counts an execution; `consume_monthly_execution`
applies it alone, and the executions feature's start transaction applies the same update inside its transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.condition import Condition

from shared.auth.errors import QuotaExceeded
from shared.store.tenancy import Usage, UsageItem
from shared.store.tenant_scoped import TenantContext
from shared.tenancy.tiers import Tier, tier_limits


def month_key(moment: datetime) -> str:
    return f"MONTH#{moment.astimezone(UTC):%Y-%m}"


@dataclass(frozen=True)
class MonthlyExecutionUnit:
    """One execution counted against the month's quota: an update of `counter` with `actions` under `condition`."""

    counter: UsageItem
    actions: list[Any]
    condition: Condition
    tier: Tier
    limit: int

    def exceeded(self) -> QuotaExceeded:
        """The problem to raise when `condition` failed."""
        return QuotaExceeded(
            f"The monthly execution quota of the {self.tier} tier ({self.limit}) is used up",
            quota="monthly_executions",
            limit=self.limit,
        )


def monthly_execution_unit(
    tenant: TenantContext, tier: Tier | str, *, now: datetime | None = None
) -> MonthlyExecutionUnit:
    limit = tier_limits(tier).monthly_executions
    return MonthlyExecutionUnit(
        counter=Usage(tenant).new(month_key(now or datetime.now(UTC))),
        actions=[UsageItem.executions.add(1)],
        condition=UsageItem.executions.does_not_exist() | (UsageItem.executions < limit),
        tier=Tier(tier),
        limit=limit,
    )


def consume_monthly_execution(tenant: TenantContext, tier: Tier | str, *, now: datetime | None = None) -> int:
    """Counts one execution against the tenant's monthly quota and returns the count, or raises QuotaExceeded (429).

    Executions count inside their start transaction (shared/executions/start.py) with the same unit.
    """
    unit = monthly_execution_unit(tenant, tier, now=now)
    try:
        unit.counter.update(actions=unit.actions, condition=unit.condition)
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            raise unit.exceeded() from error
        raise
    return int(unit.counter.executions)
