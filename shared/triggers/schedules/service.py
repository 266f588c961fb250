"""Schedules of a tenant's workflows: our record, and its EventBridge Scheduler schedule in the tenant's group.

Scheduler holds the timing (expression, time zone, start and end dates, state) and invokes the schedule_fire
function with a fixed payload; the record holds what the API shows and what a slot starts (workflow, input). Each
tenant has its own schedule group, created with its first schedule. Scheduler is written before the record, so a
failed request leaves at worst a schedule without a record, whose slots the fire function skips.

A workflow whose live version starts with a `schedule` trigger node has one more: its trigger schedule, named after
the workflow (`sch_wf_<workflow id>`), so that every publish and rollback converges on the same one. Publishing
keeps it (put_trigger_schedule, remove_trigger_schedule); the schedules API lists it but refuses to change or
delete it. Deleting a workflow deletes all of its schedules (delete_workflow_schedules).

What the API reads and answers is in api.py, where a tenant's schedules live in placement.py, and the Scheduler
calls in shared/aws/scheduler.py: this module holds the rules between them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any

from botocore.exceptions import ClientError

from shared.aws import scheduler
from shared.problems import Conflict, InvalidParam, NotFound, ServiceUnavailable, ValidationFailed
from shared.store.tenant_scoped import Page, TenantContext
from shared.store.triggers import ScheduleFailures, ScheduleItem, Schedules
from shared.store.workflows import Workflows
from shared.triggers.schedules.api import (
    ScheduleCreate,
    ScheduleFailurePage,
    ScheduleManager,
    SchedulePage,
    ScheduleUpdate,
    WorkflowSchedule,
    WorkflowScheduleDetail,
)
from shared.triggers.schedules.expressions import InvalidSchedule, Schedule
from shared.triggers.schedules.placement import SchedulerPlacement
from shared.triggers.schedules.slots import failure_of, fire_payload

NEXT_FIRE_TIMES = 5
RECENT_FAILURES = 5
# Scheduler refuses a recurring schedule's start date further back than this.
START_DATE_GRACE = timedelta(minutes=5)
# A slot Scheduler could not deliver within an hour is dropped: well inside the 24 h its idempotency key is kept.
TARGET_RETRY_POLICY = {"MaximumEventAgeInSeconds": 3600, "MaximumRetryAttempts": 20}
_SCHEDULE_ID_LENGTH = 20
_REQUIRED_FIELDS = frozenset({"name", "expression", "timezone", "enabled"})
_TRIGGER_SCHEDULE_PREFIX = "sch_wf_"


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
        managed_by=ScheduleManager(item.managed_by or ScheduleManager.API),
        workflow_version=None if item.workflow_version is None else int(item.workflow_version),
    )


def _invalid(field: str, reason: str) -> ValidationFailed:
    return _invalid_at(f"/body/{field}", reason)


def _invalid_at(pointer: str, reason: str) -> ValidationFailed:
    return ValidationFailed([InvalidParam(name=pointer, reason=reason)], detail=reason)


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
    item = _api_managed(find_schedule(tenant, schedule_id), "changed")
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
    _delete(tenant, _api_managed(find_schedule(tenant, schedule_id), "deleted"))


def _api_managed(item: ScheduleItem, verb: str) -> ScheduleItem:
    if item.managed_by == ScheduleManager.WORKFLOW:
        raise Conflict(
            f"Schedule {item.schedule_id} is the schedule trigger of workflow {item.workflow_id}: it can't be {verb} "
            "here; change the workflow's schedule node and publish it (a version with another trigger removes it), "
            f"or pause it with POST /v1/workflows/{item.workflow_id}/schedule/pause",
            managed_by=ScheduleManager.WORKFLOW.value,
            workflow_id=item.workflow_id,
        )
    return item


def _delete(tenant: TenantContext, item: ScheduleItem) -> None:
    """Scheduler first, then the record: a failure in between leaves the record, so a retry finds it again."""
    _delete_from_scheduler(_placement(item), tenant, item.schedule_id)
    Schedules(tenant).delete(item)


def _delete_from_scheduler(placement: SchedulerPlacement, tenant: TenantContext, schedule_id: str) -> None:
    try:
        scheduler.delete_schedule(schedule_id, placement.group_name(tenant), region=_region(placement))
    except ClientError as error:
        if error.response["Error"]["Code"] != "ResourceNotFoundException":
            raise _unavailable(error) from error


# -- a workflow's own schedules -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TriggerSchedule:
    """What a published version's `schedule` trigger node asks for; `pointer` names its params in the document."""

    workflow_id: str
    workflow_version: int
    name: str
    expression: str
    timezone: str
    pointer: str


def trigger_schedule_id(workflow_id: str) -> str:
    """The one trigger schedule of a workflow: its record's key and its Scheduler name (at most 64 characters)."""
    return f"{_TRIGGER_SCHEDULE_PREFIX}{workflow_id}"


def put_trigger_schedule(
    tenant: TenantContext, trigger: TriggerSchedule, actor: str, *, now: datetime | None = None
) -> WorkflowSchedule:
    """Creates the workflow's trigger schedule or brings it to the trigger's expression and time zone, bound to the
    trigger's version. Scheduler is written only where it differs (a rate schedule's slots keep their rhythm across
    publishes of the same expression), and before the record; a Scheduler refusal is a 422 naming the node's
    expression. Repeated and concurrent calls converge on the one schedule the workflow's id names."""
    moment = now or datetime.now(UTC)
    schedule_id = trigger_schedule_id(trigger.workflow_id)
    repository = Schedules(tenant)
    item = repository.get(schedule_id, consistent=True)
    if item is None:
        item = repository.new(
            schedule_id,
            schedule_id=schedule_id,
            workflow_id=trigger.workflow_id,
            rate_anchor=moment,
            enabled=True,
            input={},
            region=SchedulerPlacement.from_settings().region,
            created_at=moment,
            created_by=actor,
            revision=0,
            managed_by=ScheduleManager.WORKFLOW.value,
        )
    item.name = trigger.name[:200]
    item.expression = trigger.expression
    item.timezone = trigger.timezone
    item.workflow_version = trigger.workflow_version
    item.updated_at = moment
    item.revision = int(item.revision) + 1
    placement = _placement(item)
    written = _read_from_scheduler(placement, tenant, schedule_id)
    if written is None:
        _ensure_group(placement, tenant)
    state = "ENABLED" if item.enabled else "DISABLED"  # a paused one is not rewritten: a rate keeps its rhythm
    if written is None or _timing(written) != (item.expression, item.timezone, state):
        _write_to_scheduler(
            placement,
            tenant,
            item,
            moment,
            create=written is None,
            upsert=True,
            expression_pointer=f"{trigger.pointer}/expression",
        )
    elif written.get("StartDate") is not None:
        item.rate_anchor = written["StartDate"]
    repository.save(item)
    return _to_model(item, moment)


def set_trigger_schedule_enabled(
    tenant: TenantContext, workflow_id: str, *, enabled: bool, now: datetime | None = None
) -> WorkflowSchedule:
    """Pauses or resumes a workflow's own trigger schedule, the one change the workflow leaves to its users."""
    item = Schedules(tenant).get(trigger_schedule_id(workflow_id), consistent=True)
    if item is None:
        raise NotFound(
            f"Workflow {workflow_id!r} has no trigger schedule: its live version does not start with a schedule node"
        )
    moment = now or datetime.now(UTC)
    item.enabled = enabled
    item.updated_at = moment
    item.revision = int(item.revision) + 1
    _write_to_scheduler(_placement(item), tenant, item, moment, create=False)
    Schedules(tenant).save(item)
    return _to_model(item, moment)


def _timing(written: Any) -> tuple[str, str, str]:
    return written["ScheduleExpression"], written.get("ScheduleExpressionTimezone", "UTC"), written["State"]


def remove_trigger_schedule(tenant: TenantContext, workflow_id: str) -> None:
    """Deletes the workflow's trigger schedule, if it has one: from Scheduler by its name even where our record is
    missing (a write that failed after Scheduler took it), then the record."""
    item = Schedules(tenant).get(trigger_schedule_id(workflow_id), consistent=True)
    if item is not None:
        _delete(tenant, item)
        return
    _delete_from_scheduler(SchedulerPlacement.from_settings(), tenant, trigger_schedule_id(workflow_id))


def delete_workflow_schedules(tenant: TenantContext, workflow_id: str) -> None:
    """Every schedule of the workflow, its trigger schedule and those made through the API, each from Scheduler
    first; what a failure leaves is found again by the next call."""
    remove_trigger_schedule(tenant, workflow_id)
    for item in Schedules(tenant).of_workflow(workflow_id):
        _delete(tenant, item)


def _placement(item: ScheduleItem) -> SchedulerPlacement:
    """Where the schedule lives: the region whose API created it (a later request may reach another region)."""
    return SchedulerPlacement.from_settings().in_region(item.region)


def _region(placement: SchedulerPlacement) -> str | None:
    """The region of Scheduler's calls: None for this function's own."""
    home = SchedulerPlacement.from_settings().region
    return None if placement.region == home else placement.region


def _unavailable(error: ClientError) -> ServiceUnavailable:
    return ServiceUnavailable(f"EventBridge Scheduler refused the change: {error.response['Error'].get('Message', '')}")


def _ensure_group(placement: SchedulerPlacement, tenant: TenantContext) -> None:
    """The tenant's schedule group, created with its first schedule."""
    name = placement.group_name(tenant)
    region = _region(placement)
    try:
        scheduler.get_schedule_group(name, region=region)
        return
    except ClientError as error:
        if error.response["Error"]["Code"] != "ResourceNotFoundException":
            raise _unavailable(error) from error
    try:
        scheduler.create_schedule_group(name, region=region)
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConflictException":  # created by a concurrent request
            raise _unavailable(error) from error


def _read_from_scheduler(placement: SchedulerPlacement, tenant: TenantContext, schedule_id: str) -> Any:
    """The Scheduler schedule (GetSchedule's answer), or None where it (or the tenant's group) does not exist."""
    try:
        return scheduler.get_schedule(schedule_id, placement.group_name(tenant), region=_region(placement))
    except ClientError as error:
        if error.response["Error"]["Code"] == "ResourceNotFoundException":
            return None
        raise _unavailable(error) from error


def _write_to_scheduler(
    placement: SchedulerPlacement,
    tenant: TenantContext,
    item: ScheduleItem,
    now: datetime,
    *,
    create: bool,
    upsert: bool = False,
    expression_pointer: str = "/body/expression",
) -> None:
    """Create or replace (UpdateSchedule replaces every field) the Scheduler schedule of the record. With `upsert`,
    a create that finds the schedule there (a concurrent request made it) updates it, and an update that finds it
    gone creates it."""
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
    calls = [scheduler.create_schedule, scheduler.update_schedule]
    if not create:
        calls.reverse()
    if not upsert:
        calls = calls[:1]
    for attempt, call in enumerate(calls, start=1):
        try:
            call(parameters, region=_region(placement))
            return
        except ClientError as error:
            code = error.response["Error"]["Code"]
            if attempt < len(calls) and code in ("ConflictException", "ResourceNotFoundException"):
                continue
            if code == "ValidationException":
                raise _invalid_at(expression_pointer, error.response["Error"].get("Message", "")) from error
            raise _unavailable(error) from error
