"""Monthly execution and agent token quotas per tenant: one atomic counter item per calendar month (UTC).

Executions are counted from the executions table's stream (`count_started_executions`, called by the
execution_usage function with each batch's new execution records), on the tenant's month item and on the workflow's
(what GET /v1/usage reads by workflow): a start writes no counter, so its transaction is four write units lighter.
A start is refused once the counted executions reach the tier's quota (`ensure_monthly_executions_left`, with the
count the start path caches for a few seconds), so the quota can be overshot by what a tenant starts between the
stream's delivery and that cache's refresh (docs/executions.md states the bound). `consume_monthly_execution` counts
one execution directly, under the quota's condition.

Model tokens are added to the same items by each agent turn (shared/executions/agent_usage.py). The token quota is
soft by at most one turn: a turn runs when the month's tokens are under the quota (`ensure_agent_tokens_left`), and
an execution with an agent node starts only then.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.condition import Condition

from shared.auth.errors import QuotaExceeded
from shared.store.stream_positions import sequence_mark
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
        return monthly_executions_exceeded(self.tier, self.limit)


def monthly_executions_exceeded(tier: Tier | str, limit: int) -> QuotaExceeded:
    return QuotaExceeded(
        f"The monthly execution quota of the {tier} tier ({limit}) is used up",
        quota="monthly_executions",
        limit=limit,
    )


def ensure_monthly_executions_left(tier: Tier | str, counted: int) -> None:
    """Raises QuotaExceeded (429) when the month's counted executions reached the tier's quota."""
    limit = tier_limits(tier).monthly_executions
    if counted >= limit:
        raise monthly_executions_exceeded(Tier(tier), limit)


def counted_executions(tenant: TenantContext, moment: datetime) -> int:
    """The executions the stream has counted in `moment`'s month so far."""
    item = Usage(tenant).get(month_key(moment))
    return int(item.executions or 0) if item is not None else 0


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

    Started executions are counted from the stream instead (`count_started_executions`).
    """
    unit = monthly_execution_unit(tenant, tier, now=now)
    try:
        unit.counter.update(actions=unit.actions, condition=unit.condition)
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            raise unit.exceeded() from error
        raise
    return int(unit.counter.executions)


def count_started_executions(
    tenant: TenantContext,
    key: str,
    sequence_numbers: Sequence[str],
    *,
    workflow_id: str | None = None,
) -> int:
    """Adds to the month item `key` the started executions whose stream records bear `sequence_numbers`, except those
    it counted already, and returns how many it added. The stream hands one tenant's records over in the order they
    were written (one partition, one shard at a time, a shard's batches one after another), so the last sequence
    number counted (`counted_through`) marks everything counted: a batch delivered again adds nothing twice."""
    marks = sorted(sequence_mark(number) for number in sequence_numbers)
    counter = Usage(tenant).new(key)
    extras: list[Any] = [UsageItem.workflow_id.set(workflow_id)] if workflow_id is not None else []
    counted_through: str | None = None
    condition = UsageItem.counted_through.does_not_exist() | (UsageItem.counted_through < marks[0])
    while True:
        fresh = [mark for mark in marks if counted_through is None or mark > counted_through]
        if not fresh:
            return 0
        actions = [UsageItem.executions.add(len(fresh)), UsageItem.counted_through.set(fresh[-1]), *extras]
        try:
            counter.update(actions=actions, condition=condition)
            return len(fresh)
        except UpdateError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
        # Some of these were counted by an earlier delivery of the batch: count what came after them.
        found = Usage(tenant).get(key, consistent=True)
        counted_through = found.counted_through if found is not None else None
        condition = (
            UsageItem.counted_through == counted_through
            if counted_through is not None
            else UsageItem.counted_through.does_not_exist()
        )


def agent_tokens_limit_update(tenant: TenantContext, tier: Tier | str, moment: datetime) -> tuple[UsageItem, list[Any]]:
    """(the month item, the update that records the tier's token quota on it): what an agent execution's start
    writes, so that its model turns, which know no tier, find the quota."""
    counter = Usage(tenant).new(month_key(moment))
    return counter, [UsageItem.agent_tokens_limit.set(tier_limits(tier).monthly_agent_tokens)]


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
