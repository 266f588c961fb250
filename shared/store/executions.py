"""Execution records, idempotency keys and running-execution counters in the executions table."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from datetime import datetime

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from shared.resources import EXECUTIONS_TABLE
from shared.store.execution_ids import execution_id_ceiling, execution_id_floor
from shared.store.tables import model_table_name
from shared.store.tenant_scoped import Page, TenantScopedItem, TenantScopedRepository

_TABLE = model_table_name(EXECUTIONS_TABLE)
RUNNING_COUNTER_KEY = "COUNT"
# Running records spread over this many partitions of the `running_by_start` index, so that starts and ends of many
# executions do not all write one partition of it.
RUNNING_SHARDS = 16


def running_shard(execution_id: str) -> str:
    """The `running_by_start` partition of a running execution's record."""
    return f"RUNNING#{zlib.crc32(execution_id.encode()) % RUNNING_SHARDS}"


class RunningByStart(GlobalSecondaryIndex["ExecutionItem"]):  # type: ignore[no-untyped-call]
    """Every tenant's running execution records, by start (the execution id sorts by start time)."""

    class Meta:
        index_name = "running_by_start"
        projection = AllProjection()

    running_shard = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class StatusTransition(MapAttribute[str, object]):
    status = UnicodeAttribute()
    at = UTCDateTimeAttribute()


class ExecutionItem(TenantScopedItem):
    """One execution from any trigger; `sk` is the execution id, which sorts by start time."""

    class Meta:
        table_name = _TABLE

    execution_id = UnicodeAttribute()
    workflow_id = UnicodeAttribute()
    version = NumberAttribute()
    trigger = UnicodeAttribute()
    # What fired it: the webhook or schedule id, or the execution re-run or failed (rerun, error workflow).
    source = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    started_at = UTCDateTimeAttribute()
    stopped_at = UTCDateTimeAttribute(null=True)
    duration_ms = NumberAttribute(null=True)
    execution_arn = UnicodeAttribute()
    # A payload is inline when small and otherwise an S3 key in the payloads bucket.
    input = JSONAttribute(null=True)
    input_ref = UnicodeAttribute(null=True)
    output = JSONAttribute(null=True)
    output_ref = UnicodeAttribute(null=True)
    error = UnicodeAttribute(null=True)
    cause = UnicodeAttribute(null=True)
    failed_node = UnicodeAttribute(null=True)
    error_workflow_id = UnicodeAttribute(null=True)
    redrive_count = NumberAttribute(default=0)
    # Model tokens its agent nodes' turns spent, added by each turn.
    input_tokens = NumberAttribute(null=True)
    output_tokens = NumberAttribute(null=True)
    # True when the start took a slot of the workflow's `max_concurrency`: its end gives that slot back too.
    workflow_slot = BooleanAttribute(null=True)
    # `<ns>/<name>` of the marketplace items whose measured performance the end adds to (opted-in tenants only).
    marketplace_items = JSONAttribute(null=True)
    # Bumped by every applied status change; `transitions` lists them in order (what the SSE stream replays).
    revision = NumberAttribute(default=0)
    transitions = ListAttribute(of=StatusTransition, default=list)
    # When the express runner took the run to start it (shared/executions/runner.py): a redelivered hand-over finds it.
    runner_started_at = UTCDateTimeAttribute(null=True)
    # When a synchronous caller stopped waiting for the express run it had started (the run outlived the wait): the
    # run is known to have started, so reconciliation ends a record still RUNNING past the bound SUCCEEDED.
    outlived_wait_at = UTCDateTimeAttribute(null=True)
    # Why a SUCCEEDED execution has no output (its end was inferred, not reported with its output).
    output_unavailable = UnicodeAttribute(null=True)
    # Set while a standard execution runs (`running_shard`), so the record is in the `running_by_start` index.
    running_shard = UnicodeAttribute(null=True)
    running_by_start = RunningByStart()
    # An express run's record: never in `running_by_start` (no index writes); the reconciliation's sweep of each
    # tenant's recent records finds it instead (shared/operations/execution_reconcile.py).
    express = BooleanAttribute(null=True)


def running_records_started_before(moment: datetime) -> Iterator[ExecutionItem]:
    """The records of every tenant that say their execution runs and started before `moment`, oldest first within
    each shard of the index. Not tenant-scoped: for the platform's own reconciliation."""
    ceiling = execution_id_ceiling(moment)
    for shard in range(RUNNING_SHARDS):
        yield from ExecutionItem.running_by_start.query(f"RUNNING#{shard}", ExecutionItem.sk <= ceiling)


EXPRESS_SWEEP_PARTITION = "PLATFORM#RECONCILE"


class ExpressSweepItem(Model):
    """How far the reconciliation's sweep of express records has got: every tenant's express records started at or
    before `swept_through` were looked at once they were old enough. Outside every tenant partition."""

    class Meta:
        table_name = _TABLE

    pk = UnicodeAttribute(hash_key=True, default=EXPRESS_SWEEP_PARTITION)
    sk = UnicodeAttribute(range_key=True, default="EXPRESS_SWEEP")
    swept_through = UTCDateTimeAttribute()


def express_swept_through() -> datetime | None:
    """Where the last finished sweep of express records ended (None before the first)."""
    try:
        return ExpressSweepItem.get(EXPRESS_SWEEP_PARTITION, "EXPRESS_SWEEP", consistent_read=True).swept_through
    except ExpressSweepItem.DoesNotExist:
        return None


def advance_express_sweep(through: datetime) -> None:
    """Records a finished sweep's end; never moves it back (a pass that raced ahead of this one keeps its end)."""
    item = ExpressSweepItem()
    try:
        item.update(
            actions=[ExpressSweepItem.swept_through.set(through)],
            condition=ExpressSweepItem.swept_through.does_not_exist() | (ExpressSweepItem.swept_through < through),
        )
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise


class IdempotencyItem(TenantScopedItem):
    """An `Idempotency-Key` of a start request: the body it came with and the execution it started."""

    class Meta:
        table_name = _TABLE

    request_hash = UnicodeAttribute()
    execution_id = UnicodeAttribute()
    expires_at = NumberAttribute()


class RunningCounterItem(TenantScopedItem):
    """How many of a tenant's executions are running (the concurrent-executions quota), or of one of its workflows
    that has a `max_concurrency`."""

    class Meta:
        table_name = _TABLE

    running = NumberAttribute(default=0)


class Executions(TenantScopedRepository[ExecutionItem]):
    model = ExecutionItem
    collection = "EXEC"

    def search(
        self,
        *,
        limit: int,
        cursor: str | None,
        started_after: datetime | None = None,
        started_before: datetime | None = None,
        filters: Condition | None = None,
    ) -> Page[ExecutionItem]:
        """Newest first within the time range (a key condition); other filters are applied by DynamoDB."""
        low = execution_id_floor(started_after) if started_after else "0"
        high = execution_id_ceiling(started_before) if started_before else "g"
        return self.page(
            limit=limit,
            cursor=cursor,
            newest_first=True,
            sort_key_condition=ExecutionItem.sk.between(low, high),
            filters=filters,
        )

    def express_with_status(
        self, status: str, *, started_from: datetime, started_through: datetime
    ) -> list[ExecutionItem]:
        """The express records that say `status` of executions started from `started_from` through `started_through`:
        one Query over the window's execution ids (DynamoDB reads, and bills, every record in the window; the filter
        only shortens the answer)."""
        return self.all_matching(
            (ExecutionItem.express == True) & (ExecutionItem.status == status),  # noqa: E712
            ExecutionItem.sk.between(execution_id_floor(started_from), execution_id_ceiling(started_through)),
        )


class IdempotencyKeys(TenantScopedRepository[IdempotencyItem]):
    model = IdempotencyItem
    collection = "IDEMPOTENCY"


class RunningExecutions(TenantScopedRepository[RunningCounterItem]):
    model = RunningCounterItem
    collection = "RUNNING"

    def counter(self) -> RunningCounterItem:
        return self.new(RUNNING_COUNTER_KEY)

    def workflow_counter(self, workflow_id: str) -> RunningCounterItem:
        return self.new(f"WORKFLOW#{workflow_id}")
