"""Model tokens an agent turn spent, added at once to its execution's record and to the tenant's and the workflow's
usage of the month (one transaction, one round trip): what GET /v1/executions/{id} and GET /v1/usage show."""

from __future__ import annotations

from datetime import UTC, datetime

from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from shared.executions.record import add_tokens_in
from shared.executions.running_slots import transactions_connection
from shared.store.tenancy import Usage, UsageItem
from shared.store.tenant_scoped import TenantContext
from shared.tenancy.quotas import month_key, workflow_month_key


def add_agent_tokens(
    tenant: TenantContext,
    execution_arn: str,
    workflow_id: str,
    input_tokens: int,
    output_tokens: int,
    *,
    now: datetime | None = None,
) -> None:
    """Adds a turn's tokens to the month's usage of the tenant and of the workflow, and to the execution's record when
    the platform started the execution."""
    moment = now or datetime.now(UTC)
    usage = Usage(tenant)
    additions: list[Action] = [UsageItem.input_tokens.add(input_tokens), UsageItem.output_tokens.add(output_tokens)]
    with TransactWrite(connection=transactions_connection()) as transaction:
        transaction.update(usage.new(month_key(moment)), actions=additions)
        transaction.update(
            usage.new(workflow_month_key(moment, workflow_id)),
            actions=[*additions, UsageItem.workflow_id.set(workflow_id)],
        )
        add_tokens_in(transaction, tenant, execution_arn, input_tokens, output_tokens)
