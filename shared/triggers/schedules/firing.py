"""A schedule's slot comes due: start its workflow once for that slot, or record why it could not start.

EventBridge Scheduler (locally: the scheduler inside `forge dev`) invokes the schedule_fire function with the
schedule's fixed payload, in which Scheduler has replaced `<aws.scheduler.scheduled-time>` with the slot's time.
The slot is the idempotency key of the start, so a retried or repeated delivery of a slot starts nothing more.
A slot that cannot start (workflow deleted or unpublished, quota used up, tenant suspended) is kept as a failure of
the schedule, keyed by the slot, and reported to the caller, which alerts; it is never raised, so Scheduler does
not retry what would fail again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from shared.executions.start import StartRequest, start_or_replay
from shared.executions.statuses import Trigger
from shared.problems import Conflict, ProblemError
from shared.store.tenant_scoped import TenantContext
from shared.store.triggers import ScheduleFailureItem, ScheduleFailures, ScheduleItem, Schedules
from shared.triggers.schedules.slots import FirePayload, slot_key

FAILURES_KEPT = timedelta(days=30)


class FireResult(StrEnum):
    STARTED = "started"
    # The slot had started already (a retried or repeated delivery): nothing new.
    ALREADY_STARTED = "already_started"
    # The schedule was deleted or disabled after Scheduler took the slot.
    SKIPPED = "skipped"
    FAILED = "failed"


@dataclass(frozen=True)
class FireOutcome:
    result: FireResult
    execution_id: str | None = None
    problem: str | None = None
    detail: str | None = None


def execution_input(record: ScheduleItem, slot: datetime) -> dict[str, Any]:
    """The schedule's input and which slot started it (as a webhook's execution gets its body and delivery)."""
    return {"input": record.input, "schedule": {"schedule_id": record.schedule_id, "scheduled_time": slot_key(slot)}}


def fire_schedule(payload: FirePayload, *, now: datetime | None = None) -> FireOutcome:
    tenant = TenantContext(payload.tenant_id)
    record = Schedules(tenant).get(payload.schedule_id, consistent=True)
    if record is None or not record.enabled:
        state = "deleted" if record is None else "disabled"
        return FireOutcome(FireResult.SKIPPED, detail=f"Schedule {payload.schedule_id} is {state}")
    slot = payload.scheduled_time.astimezone(UTC)
    request = StartRequest(
        workflow_id=record.workflow_id,
        input=execution_input(record, slot),
        trigger=Trigger.SCHEDULE,
        source=record.schedule_id,
        idempotency_key=f"schedule:{record.schedule_id}:{slot_key(slot)}",
    )
    try:
        execution, started = start_or_replay(tenant, request, now=now)
    except Conflict as error:
        # The slot's key is taken: another delivery of the slot started it (or is starting it right now), or it
        # started with the schedule's input before an edit. Either way the slot has its execution.
        return FireOutcome(FireResult.ALREADY_STARTED, problem=error.type_uri, detail=str(error))
    except ProblemError as error:
        record_failure(tenant, record, slot, error, now=now)
        return FireOutcome(FireResult.FAILED, problem=error.type_uri, detail=str(error))
    result = FireResult.STARTED if started else FireResult.ALREADY_STARTED
    return FireOutcome(result, execution_id=execution.execution_id)


def record_failure(
    tenant: TenantContext, record: ScheduleItem, slot: datetime, error: ProblemError, *, now: datetime | None = None
) -> ScheduleFailureItem:
    """One item per failed slot; a retry of the same slot counts another attempt on it."""
    moment = now or datetime.now(UTC)
    failures = ScheduleFailures(tenant, record.schedule_id)
    item = failures.get(slot_key(slot), consistent=True)
    if item is None:
        item = failures.new(slot_key(slot), scheduled_time=slot, attempts=0)
    item.workflow_id = record.workflow_id
    item.problem = error.type_uri
    item.detail = str(error)
    item.attempts = int(item.attempts or 0) + 1
    item.recorded_at = moment
    item.expires_at = int((moment + FAILURES_KEPT).timestamp())
    failures.save(item)
    return item
