"""Schedules of a tenant's workflows: our record, and its EventBridge Scheduler schedule in the tenant's group.

Scheduler holds the timing (expression, time zone, start and end dates, state) and invokes the schedule_fire
function with a fixed payload; the record holds what the API shows and what a slot starts (workflow, input). Each
tenant has its own schedule group, created with its first schedule. Scheduler is written before the record, so a
failed request leaves at worst a schedule without a record, whose slots the fire function skips.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any

from botocore.exceptions import ClientError
from pydantic import BaseModel, Field, field_validator

from shared.aws.clients import scheduler_client
from shared.catalog import dead_letter_queue_name, function_physical_name
from shared.problems import InvalidParam, NotFound, ServiceUnavailable, ValidationFailed
from shared.resources import SCHEDULE_GROUPS
from shared.settings import get_settings
from shared.store.tenant_scoped import Page, TenantContext
from shared.store.triggers import ScheduleFailures, ScheduleItem, Schedules
from shared.store.workflows import Workflows
from shared.triggers.schedule_slots import ScheduleFailure, failure_of, fire_payload
from shared.triggers.schedules import InvalidSchedule, Schedule

NEXT_FIRE_TIMES = 5
RECENT_FAILURES = 5
# Scheduler refuses a recurring schedule's start date further back than this.
START_DATE_GRACE = timedelta(minutes=5)
# A slot Scheduler could not deliver within an hour is dropped: well inside the 24 h its idempotency key is kept.
TARGET_RETRY_POLICY = {"MaximumEventAgeInSeconds": 3600, "MaximumRetryAttempts": 20}
_SCHEDULE_ID_LENGTH = 20
_GROUP_NAME_LIMIT = 64
_REQUIRED_FIELDS = frozenset({"name", "expression", "timezone", "enabled"})


class ScheduleCreate(BaseModel):
    workflow_id: str = Field(min_length=1, max_length=64, description="Runs its live version at each slot")
    name: str = Field(min_length=1, max_length=200)
    expression: str = Field(
        description="rate(N minutes|hours|days), cron(minutes hours day-of-month month day-of-week year) or "
        "at(yyyy-mm-ddThh:mm:ss), as EventBridge Scheduler reads them",
        examples=["rate(5 minutes)", "cron(30 9 ? * MON-FRI *)"],
    )
    timezone: str = Field(default="UTC", description="IANA time zone of cron and at expressions", examples=["UTC"])
    start_date: datetime | None = Field(default=None, description="No slot before it (with a UTC offset)")
    end_date: datetime | None = Field(default=None, description="No slot after it (with a UTC offset)")
    enabled: bool = True
    input: Any = Field(
        default_factory=dict,
        description="Each execution's input is {input: this, schedule: {schedule_id, scheduled_time}}",
    )

    @field_validator("expression")
    @classmethod
    def _known_expression(cls, value: str) -> str:
        return _checked_expression(value)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return _checked_zone(value)

    @field_validator("start_date", "end_date")
    @classmethod
    def _with_offset(cls, value: datetime | None) -> datetime | None:
        return _checked_offset(value)


class ScheduleUpdate(BaseModel):
    """Only the fields sent change; the workflow of a schedule is fixed (create another schedule instead)."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    expression: str | None = None
    timezone: str | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None
    enabled: bool | None = None
    input: Any = None

    @field_validator("expression")
    @classmethod
    def _known_expression(cls, value: str | None) -> str | None:
        return None if value is None else _checked_expression(value)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        return None if value is None else _checked_zone(value)

    @field_validator("start_date", "end_date")
    @classmethod
    def _with_offset(cls, value: datetime | None) -> datetime | None:
        return _checked_offset(value)


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


class WorkflowScheduleDetail(WorkflowSchedule):
    recent_failures: list[ScheduleFailure] = Field(description="The newest slots that could not start the workflow")


class SchedulePage(BaseModel):
    items: list[WorkflowSchedule]
    next_cursor: str | None = None


class ScheduleFailurePage(BaseModel):
    items: list[ScheduleFailure]
    next_cursor: str | None = None


def _checked_expression(value: str) -> str:
    try:
        Schedule(value)
    except InvalidSchedule as error:
        raise ValueError(str(error)) from None
    if value.startswith("rate("):
        try:
            next(Schedule(value).fire_times(datetime.now(UTC)))
        except InvalidSchedule as error:
            raise ValueError(str(error)) from None
    return value


def _checked_zone(value: str) -> str:
    try:
        Schedule("rate(1 hour)", timezone=value)
    except InvalidSchedule as error:
        raise ValueError(str(error)) from None
    return value


def _checked_offset(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValueError("give the date with a UTC offset, e.g. 2026-01-01T09:00:00Z")
    return value


@dataclass(frozen=True)
class SchedulerPlacement:
    """Where a tenant's schedules live in EventBridge Scheduler and what they invoke, from FORGE_SCHEDULE_GROUPS."""

    partition: str
    region: str
    account: str
    base_name: str

    @classmethod
    def from_settings(cls) -> SchedulerPlacement:
        arn_prefix = get_settings().require("schedule_groups")
        _, partition, _, region, account, resource = arn_prefix.split(":", 5)
        return cls(partition, region, account, resource.split("/", 1)[1])

    def in_region(self, region: str) -> SchedulerPlacement:
        """The same names in another region: where a schedule created by that region's API lives."""
        return replace(self, region=region)

    def group_name(self, tenant: TenantContext) -> str:
        """`<prefix>-sched-<tenant id>`; where a long environment name or a silo's prefix would make that longer
        than Scheduler's 64 characters, a 20-character digest of the tenant id stands in for it."""
        name = f"{self.base_name}-{tenant.tenant_id}"
        if len(name) <= _GROUP_NAME_LIMIT:
            return name
        return f"{self.base_name}-{hashlib.blake2b(tenant.tenant_id.encode(), digest_size=10).hexdigest()}"

    @property
    def prefix(self) -> str:
        return self.base_name.removesuffix(f"-{SCHEDULE_GROUPS.key}")

    @property
    def target_name(self) -> str:
        return function_physical_name(self.prefix, SCHEDULE_GROUPS.target_function)

    @property
    def target_arn(self) -> str:
        return f"arn:{self.partition}:lambda:{self.region}:{self.account}:function:{self.target_name}"

    @property
    def dead_letter_arn(self) -> str:
        """Slots Scheduler could not deliver land in the target function's own dead-letter queue (alarmed)."""
        return f"arn:{self.partition}:sqs:{self.region}:{self.account}:{dead_letter_queue_name(self.target_name)}"

    @property
    def role_arn(self) -> str:
        return f"arn:{self.partition}:iam::{self.account}:role/{SCHEDULE_GROUPS.invoke_role_name(self.prefix)}"


def _engine(item: ScheduleItem) -> Schedule:
    """Rate slots count from the start date Scheduler was given, else from when it took the schedule."""
    rate = item.expression.startswith("rate(")
    return Schedule(
        item.expression, timezone=item.timezone, start=item.rate_anchor if rate else item.start_date, end=item.end_date
    )


def next_fire_times(item: ScheduleItem, now: datetime | None = None, count: int = NEXT_FIRE_TIMES) -> list[datetime]:
    if not item.enabled:
        return []
    moment = now or datetime.now(UTC)
    try:
        return list(islice(_engine(item).fire_times(moment), count))
    except InvalidSchedule:
        return []


def _to_model(item: ScheduleItem, now: datetime | None = None) -> WorkflowSchedule:
    return WorkflowSchedule(
        schedule_id=item.schedule_id,
        workflow_id=item.workflow_id,
        name=item.name,
        expression=item.expression,
        timezone=item.timezone,
        start_date=item.start_date,
        end_date=item.end_date,
        enabled=bool(item.enabled),
        input=item.input,
        next_fire_times=next_fire_times(item, now),
        created_at=item.created_at,
        updated_at=item.updated_at,
        revision=int(item.revision),
    )


def _invalid(field: str, reason: str) -> ValidationFailed:
    return ValidationFailed([InvalidParam(name=f"/body/{field}", reason=reason)], detail=reason)


def _check_dates(item: ScheduleItem, changed: set[str], now: datetime) -> None:
    """What Scheduler would refuse, named by field: dates out of order, a start long past, an end already past."""
    if item.start_date and item.end_date and item.end_date <= item.start_date:
        field = "start_date" if "start_date" in changed and "end_date" not in changed else "end_date"
        raise _invalid(field, "the end date must come after the start date")
    if "start_date" in changed and item.start_date and item.start_date < now - START_DATE_GRACE:
        raise _invalid("start_date", "the start date is in the past; leave it out to start now")
    if "end_date" in changed and item.end_date and item.end_date <= now:
        raise _invalid("end_date", "the end date has passed")


def create_schedule(
    tenant: TenantContext, request: ScheduleCreate, created_by: str, *, now: datetime | None = None
) -> WorkflowSchedule:
    if Workflows(tenant).get(request.workflow_id) is None:
        raise NotFound(f"No workflow {request.workflow_id!r}")
    moment = now or datetime.now(UTC)
    schedule_id = f"sch_{secrets.token_hex(_SCHEDULE_ID_LENGTH // 2)}"
    repository = Schedules(tenant)
    item = repository.new(
        schedule_id,
        schedule_id=schedule_id,
        workflow_id=request.workflow_id,
        name=request.name,
        expression=request.expression,
        timezone=request.timezone,
        start_date=request.start_date,
        end_date=request.end_date,
        rate_anchor=moment,
        enabled=request.enabled,
        input=request.input,
        region=SchedulerPlacement.from_settings().region,
        created_at=moment,
        updated_at=moment,
        created_by=created_by,
        revision=1,
    )
    _check_dates(item, {"start_date", "end_date"}, moment)
    placement = SchedulerPlacement.from_settings()
    _ensure_group(placement, tenant)
    _write_to_scheduler(placement, tenant, item, moment, create=True)
    repository.create(item)
    return _to_model(item, moment)


def find_schedule(tenant: TenantContext, schedule_id: str) -> ScheduleItem:
    item = Schedules(tenant).get(schedule_id)
    if item is None:
        raise NotFound(f"No schedule {schedule_id!r}")
    return item


def get_schedule(tenant: TenantContext, schedule_id: str) -> WorkflowScheduleDetail:
    item = find_schedule(tenant, schedule_id)
    failures = ScheduleFailures(tenant, schedule_id).page(limit=RECENT_FAILURES, newest_first=True)
    return WorkflowScheduleDetail(
        **_to_model(item).model_dump(), recent_failures=[failure_of(failure) for failure in failures.items]
    )


def list_schedules(tenant: TenantContext, *, limit: int, cursor: str | None) -> SchedulePage:
    page: Page[ScheduleItem] = Schedules(tenant).page(limit=limit, cursor=cursor)
    now = datetime.now(UTC)
    return SchedulePage(items=[_to_model(item, now) for item in page.items], next_cursor=page.next_cursor)


def list_failures(tenant: TenantContext, schedule_id: str, *, limit: int, cursor: str | None) -> ScheduleFailurePage:
    find_schedule(tenant, schedule_id)
    page = ScheduleFailures(tenant, schedule_id).page(limit=limit, cursor=cursor, newest_first=True)
    return ScheduleFailurePage(items=[failure_of(item) for item in page.items], next_cursor=page.next_cursor)


def update_schedule(
    tenant: TenantContext, schedule_id: str, update: ScheduleUpdate, *, now: datetime | None = None
) -> WorkflowSchedule:
    item = find_schedule(tenant, schedule_id)
    moment = now or datetime.now(UTC)
    changed = update.model_fields_set
    for field in sorted(changed):
        value = getattr(update, field)
        if value is None and field in _REQUIRED_FIELDS:
            raise _invalid(field, f"{field} can be changed, not removed")
        setattr(item, field, value)
    _check_dates(item, changed, moment)
    item.updated_at = moment
    item.revision = int(item.revision) + 1
    _write_to_scheduler(_placement(item), tenant, item, moment, create=False)
    Schedules(tenant).save(item)
    return _to_model(item, moment)


def delete_schedule(tenant: TenantContext, schedule_id: str) -> None:
    item = find_schedule(tenant, schedule_id)
    placement = _placement(item)
    try:
        _scheduler(placement).delete_schedule(Name=item.schedule_id, GroupName=placement.group_name(tenant))
    except ClientError as error:
        if error.response["Error"]["Code"] != "ResourceNotFoundException":
            raise _unavailable(error) from error
    Schedules(tenant).delete(item)


def _placement(item: ScheduleItem) -> SchedulerPlacement:
    """Where the schedule lives: the region whose API created it (a later request may reach another region)."""
    return SchedulerPlacement.from_settings().in_region(item.region)


def _scheduler(placement: SchedulerPlacement) -> Any:
    home = SchedulerPlacement.from_settings().region
    return scheduler_client(None if placement.region == home else placement.region)


def _unavailable(error: ClientError) -> ServiceUnavailable:
    return ServiceUnavailable(f"EventBridge Scheduler refused the change: {error.response['Error'].get('Message', '')}")


def _ensure_group(placement: SchedulerPlacement, tenant: TenantContext) -> None:
    """The tenant's schedule group, created with its first schedule."""
    scheduler = _scheduler(placement)
    name = placement.group_name(tenant)
    try:
        scheduler.get_schedule_group(Name=name)
        return
    except ClientError as error:
        if error.response["Error"]["Code"] != "ResourceNotFoundException":
            raise _unavailable(error) from error
    try:
        scheduler.create_schedule_group(Name=name)
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConflictException":  # created by a concurrent request
            raise _unavailable(error) from error


def _write_to_scheduler(
    placement: SchedulerPlacement, tenant: TenantContext, item: ScheduleItem, now: datetime, *, create: bool
) -> None:
    """Create or replace (UpdateSchedule replaces every field) the Scheduler schedule of the record."""
    parameters: dict[str, Any] = {
        "Name": item.schedule_id,
        "GroupName": placement.group_name(tenant),
        "Description": item.name[:512],
        "ScheduleExpression": item.expression,
        "ScheduleExpressionTimezone": item.timezone,
        "State": "ENABLED" if item.enabled else "DISABLED",
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "Target": {
            "Arn": placement.target_arn,
            "RoleArn": placement.role_arn,
            "Input": fire_payload(tenant, item.schedule_id, item.workflow_id),
            "RetryPolicy": TARGET_RETRY_POLICY,
            "DeadLetterConfig": {"Arn": placement.dead_letter_arn},
        },
    }
    # A start already reached is left out: Scheduler refuses one further back than five minutes. A rate schedule
    # gets the time of this write instead, so that its slots count from a time the API knows.
    start = item.start_date if item.start_date is not None and item.start_date >= now - START_DATE_GRACE else None
    if start is None and item.expression.startswith("rate("):
        start = now.replace(microsecond=0)
    if start is not None:
        parameters["StartDate"] = start
    item.rate_anchor = start or now
    if item.end_date is not None:
        parameters["EndDate"] = item.end_date
    scheduler = _scheduler(placement)
    try:
        (scheduler.create_schedule if create else scheduler.update_schedule)(**parameters)
    except ClientError as error:
        code = error.response["Error"]["Code"]
        if code == "ValidationException":
            raise _invalid("expression", error.response["Error"].get("Message", "")) from error
        raise _unavailable(error) from error
