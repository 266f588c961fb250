"""The executions table's stream, as the execution_usage function reads each batch of it: the execution records it
inserts (the month usage counters: shared/tenancy/quotas.py's `count_started_executions`, one update per item and
batch) and the executions it ends (quality control: shared/quality/stream.py). The event source mapping passes only
those (the catalog's filters, which forge dev's poller applies too); the ends are checked again here, since the
filters cannot tell a start Step Functions refused from an end, and any other record is skipped."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.executions.statuses import ENDED, ExecutionStatus
from shared.store.executions import ExecutionItem, Executions
from shared.store.stream_positions import sequence_mark
from shared.store.tenant_scoped import TenantContext, tenant_partition
from shared.tenancy.quotas import count_started_executions, month_key, workflow_month_key

_EXECUTIONS_PARTITION_SUFFIX = f"#{Executions.collection}"
_OPEN = frozenset({ExecutionStatus.RUNNING.value, ExecutionStatus.PENDING_REDRIVE.value})
_ENDS = frozenset(status.value for status in ENDED)
# What a start Step Functions refused ends its record with (shared/executions/record.py's record_start_failure):
# the version never ran.
_START_FAILED = "States.StartFailed"
# What an end's observers read of the record: only these are read from the image (the whole record, with its input,
# output and transitions, took 150 us a record to read, five times as long, in forge dev's emulation process).
_END_ATTRIBUTES = (
    "pk",
    "sk",
    "execution_id",
    "workflow_id",
    "version",
    "status",
    "stopped_at",
    "duration_ms",
    "input_tokens",
    "output_tokens",
)


@dataclass(frozen=True)
class StartedExecution:
    tenant_id: str
    workflow_id: str
    started_at: datetime
    sequence_number: str


@dataclass(frozen=True)
class EndedExecution:
    tenant: TenantContext
    # The record as the end left it (the stream record's new image), with only the attributes `_END_ATTRIBUTES` names.
    record: ExecutionItem
    # The stream record's sequence number, padded to compare in stream order (shared/store/stream_positions.py).
    sequence_mark: str


def _execution_tenant(image: Mapping[str, Any]) -> str | None:
    """The tenant of an execution record's image; None for any other item of the table."""
    partition = str(image.get("pk", {}).get("S", ""))
    if not partition.endswith(_EXECUTIONS_PARTITION_SUFFIX) or "execution_arn" not in image:
        return None
    return partition.removeprefix(tenant_partition("")).removesuffix(_EXECUTIONS_PARTITION_SUFFIX)


def started_executions(records: Iterable[Mapping[str, Any]]) -> list[StartedExecution]:
    """The execution records a batch of stream records inserts."""
    started = []
    for record in records:
        image = record.get("dynamodb", {}).get("NewImage", {})
        tenant_id = _execution_tenant(image)
        if record.get("eventName") != "INSERT" or tenant_id is None:
            continue
        started.append(
            StartedExecution(
                tenant_id=tenant_id,
                workflow_id=image["workflow_id"]["S"],
                started_at=datetime.fromisoformat(image["started_at"]["S"]),
                sequence_number=record["dynamodb"]["SequenceNumber"],
            )
        )
    return started


def ended_executions(records: Iterable[Mapping[str, Any]]) -> list[EndedExecution]:
    """The executions a batch of stream records ends, in stream order: a change of a record from open (RUNNING or
    PENDING_REDRIVE) to ended, by a status change (not a start that was refused)."""
    ended = []
    for record in records:
        change = record.get("dynamodb", {})
        old, new = change.get("OldImage", {}), change.get("NewImage", {})
        tenant_id = _execution_tenant(new)
        if (
            record.get("eventName") != "MODIFY"
            or tenant_id is None
            or old.get("status", {}).get("S") not in _OPEN
            or new.get("status", {}).get("S") not in _ENDS
            or new.get("error", {}).get("S") == _START_FAILED
        ):
            continue
        item = ExecutionItem.from_raw_data({name: new[name] for name in _END_ATTRIBUTES if name in new})
        ended.append(EndedExecution(TenantContext(tenant_id), item, sequence_mark(change["SequenceNumber"])))
    return ended


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
