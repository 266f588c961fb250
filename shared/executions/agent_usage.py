"""Model tokens an agent turn spent, added at once to its execution's record and to the tenant's and the workflow's
usage of the month (one transaction, one round trip): what GET /v1/executions/{id} and GET /v1/usage show."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pynamodb.transactions import TransactWrite

from shared.executions.naming import ExecutionName
from shared.executions.running_slots import transactions_connection
from shared.store.executions import ExecutionItem, Executions
from shared.store.tenancy import Usage, UsageItem
from shared.store.tenant_scoped import TenantContext
from shared.tenancy.quotas import month_key, workflow_month_key


def _token_additions(model: type[ExecutionItem] | type[UsageItem], input_tokens: int, output_tokens: int) -> list[Any]:
    return [model.input_tokens.add(input_tokens), model.output_tokens.add(output_tokens)]


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
    the platform started the execution (a state machine run outside the platform has no record)."""
    moment = now or datetime.now(UTC)
    usage = Usage(tenant)
    # A standard execution's ARN ends with its name; an express one's with the name and a run id.
    names = (ExecutionName.parse(part) for part in reversed(execution_arn.split(":")[-2:]))
    name = next((parsed for parsed in names if parsed is not None), None)
    additions = _token_additions(UsageItem, input_tokens, output_tokens)
    with TransactWrite(connection=transactions_connection()) as transaction:
        transaction.update(usage.new(month_key(moment)), actions=additions)
        transaction.update(
            usage.new(workflow_month_key(moment, workflow_id)),
            actions=[*additions, UsageItem.workflow_id.set(workflow_id)],
        )
        if name is not None and name.tenant_id == tenant.tenant_id:
            transaction.update(
                Executions(tenant).new(name.execution_id),
                actions=_token_additions(ExecutionItem, input_tokens, output_tokens),
                condition=ExecutionItem.pk.exists(),
            )
