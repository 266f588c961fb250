"""Tenants with execution records in the emulation, for the ML pipeline's export."""

from __future__ import annotations

from datetime import datetime, timedelta

from shared.store.context import TenantContext
from shared.store.execution_ids import new_execution_id
from shared.store.executions import Executions
from shared.tenancy import tenants


def new_tenant(slug: str) -> str:
    created = tenants.create_tenant(
        tenants.TenantCreate(slug=slug, display_name=slug.title(), owner=tenants.TenantOwner(subject=f"{slug}-owner"))
    )
    return created.tenant_id


def add_execution(
    tenant_id: str,
    workflow_id: str,
    started_at: datetime,
    *,
    status: str = "SUCCEEDED",
    duration_ms: int = 1000,
    tokens: int = 0,
) -> None:
    execution_id = new_execution_id(started_at.timestamp())
    repository = Executions(TenantContext(tenant_id))
    item = repository.new(
        execution_id,
        execution_id=execution_id,
        workflow_id=workflow_id,
        version=1,
        trigger="manual",
        status=status,
        started_at=started_at,
        stopped_at=started_at + timedelta(milliseconds=duration_ms),
        duration_ms=duration_ms,
        execution_arn=f"arn:aws:states:us-east-1:123456789012:execution:wf:{execution_id}",
        input_tokens=tokens,
        output_tokens=0,
    )
    repository.create(item)
