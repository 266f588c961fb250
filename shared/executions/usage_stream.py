"""The executions table's stream → the month usage counters: each batch's new execution records counted on their
tenant's month item and their workflow's (shared/tenancy/quotas.py's `count_started_executions`), one update per
item and batch. The event source mapping passes only inserts of execution records (the catalog's filter); other
records that reach the function (forge dev's poller passes every record) are skipped here."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.store.executions import Executions
from shared.store.tenant_scoped import TenantContext, tenant_partition
from shared.tenancy.quotas import count_started_executions, month_key, workflow_month_key

_EXECUTIONS_PARTITION_SUFFIX = f"#{Executions.collection}"


@dataclass(frozen=True)
class StartedExecution:
    tenant_id: str
    workflow_id: str
    started_at: datetime
    sequence_number: str


def started_executions(records: Iterable[Mapping[str, Any]]) -> list[StartedExecution]:
    """The execution records a batch of stream records inserts."""
    started = []
    for record in records:
        image = record.get("dynamodb", {}).get("NewImage", {})
        partition = image.get("pk", {}).get("S", "")
        if record.get("eventName") != "INSERT" or not partition.endswith(_EXECUTIONS_PARTITION_SUFFIX):
            continue
        started.append(
            StartedExecution(
                tenant_id=partition.removeprefix(tenant_partition("")).removesuffix(_EXECUTIONS_PARTITION_SUFFIX),
                workflow_id=image["workflow_id"]["S"],
                started_at=datetime.fromisoformat(image["started_at"]["S"]),
                sequence_number=record["dynamodb"]["SequenceNumber"],
            )
        )
    return started


def count_batch(records: Iterable[Mapping[str, Any]]) -> int:
    """Counts the batch's started executions on the month items; how many it added to the tenants' months (a batch
    delivered again adds none)."""
    tenants: dict[tuple[str, str], list[str]] = defaultdict(list)
    workflows: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for execution in started_executions(records):
        tenants[(execution.tenant_id, month_key(execution.started_at))].append(execution.sequence_number)
        workflow_key = workflow_month_key(execution.started_at, execution.workflow_id)
        workflows[(execution.tenant_id, workflow_key, execution.workflow_id)].append(execution.sequence_number)
    for (tenant_id, key, workflow_id), sequence_numbers in workflows.items():
        count_started_executions(TenantContext(tenant_id), key, sequence_numbers, workflow_id=workflow_id)
    return sum(
        count_started_executions(TenantContext(tenant_id), key, sequence_numbers)
        for (tenant_id, key), sequence_numbers in tenants.items()
    )
