"""What a schedule's target receives and what a failed slot looks like: shared by the schedules API (which writes the
target input to Scheduler) and the fire function, without the start path's imports (the API's cold start)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from pydantic import BaseModel, Field

from shared.store.tenant_scoped import TenantContext
from shared.store.triggers import ScheduleFailureItem

# Replaced by EventBridge Scheduler in the target's input with the slot's time, e.g. 2026-03-29T01:30:00Z.
SCHEDULED_TIME_ATTRIBUTE = "<aws.scheduler.scheduled-time>"


class FirePayload(BaseModel):
    """What every invocation of a schedule's target carries (its Scheduler target input)."""

    tenant_id: str
    schedule_id: str
    workflow_id: str
    scheduled_time: datetime


def fire_payload(tenant: TenantContext, schedule_id: str, workflow_id: str) -> str:
    """The target input written to Scheduler: the same for every slot but for the time Scheduler fills in."""
    return json.dumps(
        {
            "tenant_id": tenant.tenant_id,
            "schedule_id": schedule_id,
            "workflow_id": workflow_id,
            "scheduled_time": SCHEDULED_TIME_ATTRIBUTE,
        },
        separators=(",", ":"),
    )


def slot_key(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ScheduleFailure(BaseModel):
    scheduled_time: datetime
    workflow_id: str
    problem: str = Field(description="The problem type that kept the slot from starting")
    detail: str
    attempts: int = Field(description="Deliveries of this slot that failed")
    recorded_at: datetime


def failure_of(item: ScheduleFailureItem) -> ScheduleFailure:
    return ScheduleFailure(
        scheduled_time=item.scheduled_time,
        workflow_id=item.workflow_id,
        problem=item.problem,
        detail=item.detail,
        attempts=int(item.attempts),
        recorded_at=item.recorded_at,
    )
