"""Monthly execution and agent token quotas per tenant: one atomic counter item per calendar month (UTC).

`monthly_execution_unit` builds the one conditional update that counts an execution; `consume_monthly_execution`
applies it alone, and the executions feature's start transaction applies the same update inside its transaction,
with `workflow_month_execution`'s update of the workflow's own month item (what GET /v1/usage reads by workflow).

Model tokens are added to the same items by each agent turn (shared/executions/agent_usage.py). The token quota is
soft by at most one turn: a turn runs when the month's tokens are under the quota (`ensure_agent_tokens_left`), and
an execution with an agent node starts only then.
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


def workflow_month_key(moment: datetime, workflow_id: str) -> str:
    return f"{month_key(moment)}#WORKFLOW#{workflow_id}"


class AgentTokensQuotaExceeded(QuotaExceeded):
    slug = "agent-tokens-quota"
    title = "Agent token quota exceeded"


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
        # The token quota rides along, so a model turn reads it with the month's tokens in one read.
        actions=[UsageItem.executions.add(1), UsageItem.agent_tokens_limit.set(tier_limits(tier).monthly_agent_tokens)],
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


def workflow_month_execution(tenant: TenantContext, workflow_id: str, moment: datetime) -> tuple[UsageItem, list[Any]]:
    """(the workflow's month item, the update that counts one execution on it)."""
    counter = Usage(tenant).new(workflow_month_key(moment, workflow_id))
    return counter, [UsageItem.executions.add(1), UsageItem.workflow_id.set(workflow_id)]


def spent_tokens(item: UsageItem | None) -> int:
    return int(item.input_tokens or 0) + int(item.output_tokens or 0) if item is not None else 0


def agent_tokens_exceeded(spent: int, limit: int) -> AgentTokensQuotaExceeded:
    return AgentTokensQuotaExceeded(
        f"The tenant's agents spent {spent} model tokens this month, its tier's monthly quota of {limit}",
        quota="monthly_agent_tokens",
        limit=limit,
    )


def ensure_agent_tokens_left(tenant: TenantContext, limit: int | None = None, *, now: datetime | None = None) -> None:
    """Raises AgentTokensQuotaExceeded (429) when the month's model tokens reached `limit`: the tier's quota, or
    without one the quota the month's latest execution start recorded (what a model turn knows)."""
    item = Usage(tenant).get(month_key(now or datetime.now(UTC)))
    quota = limit if limit is not None else (int(item.agent_tokens_limit) if item and item.agent_tokens_limit else None)
    spent = spent_tokens(item)
    if quota is not None and spent >= quota:
        raise agent_tokens_exceeded(spent, quota)
