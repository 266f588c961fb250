"""GET /v1/usage: a month's executions and model tokens, the tenant's and each workflow's, beside the tier's quotas.

The counters are the month items of shared/tenancy/quotas.py: executions counted from the executions table's stream
(seconds after their start), tokens added by every agent turn (shared/executions/agent_usage.py).
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, Field

from shared.problems import NotFound
from shared.store.tenancy import TENANT_RECORD_KEY, TenantRecords, Usage, UsageItem
from shared.store.tenant_scoped import TenantContext
from shared.tenancy.quotas import month_key
from shared.tenancy.tiers import tier_limits

MONTH_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
_WORKFLOW_SEPARATOR = "#WORKFLOW#"


class Counted(BaseModel):
    executions: int
    input_tokens: int
    output_tokens: int


class WorkflowUsage(Counted):
    workflow_id: str


class MonthQuotas(BaseModel):
    executions: int = Field(description="The tier's monthly execution quota")
    agent_tokens: int = Field(description="The tier's monthly model token quota (input and output tokens together)")


class UsageReport(Counted):
    month: str = Field(description="The calendar month (UTC), YYYY-MM")
    quotas: MonthQuotas
    workflows: list[WorkflowUsage] = Field(description="Each workflow that ran or spent tokens this month")


def _counted(item: UsageItem) -> Counted:
    return Counted(
        executions=int(item.executions or 0),
        input_tokens=int(item.input_tokens or 0),
        output_tokens=int(item.output_tokens or 0),
    )


def month_usage(tenant: TenantContext, month: str | None = None) -> UsageReport:
    """The tenant's usage of `month` (YYYY-MM), the current month (UTC) without one."""
    record = TenantRecords(tenant).get(TENANT_RECORD_KEY)
    if record is None:
        raise NotFound(f"No tenant with id {tenant.tenant_id!r}")
    limits = tier_limits(record.tier)
    key = f"MONTH#{month}" if month else month_key(datetime.now(UTC))
    items = Usage(tenant).all_matching(UsageItem.pk.exists(), UsageItem.sk.startswith(key))
    whole = next((item for item in items if item.sk == key), None)
    workflows = [
        WorkflowUsage(workflow_id=str(item.workflow_id), **_counted(item).model_dump())
        for item in items
        if item.sk.startswith(key + _WORKFLOW_SEPARATOR) and item.workflow_id
    ]
    totals = _counted(whole) if whole is not None else Counted(executions=0, input_tokens=0, output_tokens=0)
    return UsageReport(
        month=key.removeprefix("MONTH#"),
        quotas=MonthQuotas(executions=limits.monthly_executions, agent_tokens=limits.monthly_agent_tokens),
        workflows=sorted(workflows, key=lambda usage: usage.workflow_id),
        **totals.model_dump(),
    )
