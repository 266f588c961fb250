"""What the schedules API reads and answers: a schedule to create or change, a schedule as shown, its pages."""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field, StrictBool, field_validator

from shared.request_types import Rfc3339DateTime
from shared.triggers.schedules.expressions import (
    EXPRESSION_MAX_LENGTH,
    EXPRESSION_PATTERN,
    ZONE_MAX_LENGTH,
    ZONE_PATTERN,
    checked_expression,
    checked_zone,
)
from shared.triggers.schedules.slots import ScheduleFailure


class ScheduleManager(StrEnum):
    """Who changes a schedule: the caller through this API, or the workflow's `schedule` trigger node."""

    API = "api"
    WORKFLOW = "workflow"


# Kept in the schedule's record, one DynamoDB item (at most 400 KB), and handed to every slot's execution.
MAX_SCHEDULE_INPUT_BYTES = 65_536


def _bounded_input(value: Any) -> Any:
    size = len(json.dumps(value, separators=(",", ":")).encode())
    if size > MAX_SCHEDULE_INPUT_BYTES:
        raise ValueError(f"the input takes {size} bytes as JSON; a schedule keeps at most {MAX_SCHEDULE_INPUT_BYTES}")
    return value


ScheduleInput = Annotated[Any, AfterValidator(_bounded_input)]


class ScheduleCreate(BaseModel):
    workflow_id: str = Field(min_length=1, max_length=64, description="Runs its live version at each slot")
    name: str = Field(min_length=1, max_length=200)
    expression: str = Field(
        pattern=EXPRESSION_PATTERN,
        max_length=EXPRESSION_MAX_LENGTH,
        description="rate(N minutes|hours|days), cron(minutes hours day-of-month month day-of-week year) or "
        "at(yyyy-mm-ddThh:mm:ss), as EventBridge Scheduler reads them",
        examples=["rate(5 minutes)", "cron(30 9 ? * MON-FRI *)"],
    )
    timezone: str = Field(
        default="UTC",
        pattern=ZONE_PATTERN,
        max_length=ZONE_MAX_LENGTH,
        description="IANA time zone of cron and at expressions",
        examples=["UTC"],
    )
    start_date: Rfc3339DateTime | None = Field(default=None, description="No slot before it (with a UTC offset)")
    end_date: Rfc3339DateTime | None = Field(default=None, description="No slot after it (with a UTC offset)")
    enabled: StrictBool = True
    input: ScheduleInput = Field(
        default_factory=dict,
        description="Each execution's input is {input: this, schedule: {schedule_id, scheduled_time}}",
    )

    @field_validator("expression")
    @classmethod
    def _known_expression(cls, value: str) -> str:
        return checked_expression(value)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return checked_zone(value)


class ScheduleUpdate(BaseModel):
    """Only the fields sent change; the workflow of a schedule is fixed (create another schedule instead)."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    expression: str | None = Field(default=None, pattern=EXPRESSION_PATTERN, max_length=EXPRESSION_MAX_LENGTH)
    timezone: str | None = Field(default=None, pattern=ZONE_PATTERN, max_length=ZONE_MAX_LENGTH)
    start_date: Rfc3339DateTime | None = None
    end_date: Rfc3339DateTime | None = None
    enabled: StrictBool | None = None
    input: ScheduleInput = None

    @field_validator("expression")
    @classmethod
    def _known_expression(cls, value: str | None) -> str | None:
        return None if value is None else checked_expression(value)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        return None if value is None else checked_zone(value)


class WorkflowSchedule(BaseModel):
    schedule_id: str
    workflow_id: str
    name: str
    expression: str
    timezone: str
    start_date: datetime | None
    end_date: datetime | None
    enabled: bool
    input: Any
    next_fire_times: list[datetime] = Field(description="The next slots (UTC); none while disabled")
    created_at: datetime
    updated_at: datetime
    revision: int
    managed_by: ScheduleManager = Field(
        description="workflow: the workflow's `schedule` trigger node keeps this schedule (change the node and publish "
        "the workflow; this API refuses to change or delete it); api: made through this API"
    )
    workflow_version: int | None = Field(
        description="For a workflow's trigger schedule, the live version whose trigger node it follows; else null"
    )


class WorkflowScheduleDetail(WorkflowSchedule):
    recent_failures: list[ScheduleFailure] = Field(description="The newest slots that could not start the workflow")


class SchedulePage(BaseModel):
    items: list[WorkflowSchedule]
    next_cursor: str | None = None


class ScheduleFailurePage(BaseModel):
    items: list[ScheduleFailure]
    next_cursor: str | None = None
