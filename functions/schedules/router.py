"""Schedules of a tenant's workflows: cron or rate expressions in a time zone, kept in EventBridge Scheduler."""

from __future__ import annotations

from fastapi import APIRouter, Response

from shared.auth.dependencies import CurrentPrincipal, CurrentTenant
from shared.http.pagination import DEFAULT_LIMIT, PageCursor, PageLimit
from shared.triggers.schedules.api import (
    ScheduleCreate,
    ScheduleFailurePage,
    SchedulePage,
    ScheduleUpdate,
    WorkflowSchedule,
    WorkflowScheduleDetail,
)
from shared.triggers.schedules.service import (
    create_schedule,
    delete_schedule,
    get_schedule,
    list_failures,
    list_schedules,
    set_trigger_schedule_enabled,
    update_schedule,
)

router = APIRouter(tags=["schedules"])

_TRIGGER_OWNED: dict[int | str, dict[str, str]] = {
    409: {"description": "A workflow's trigger schedule (managed_by: workflow): publish the workflow to change it"},
}


@router.post("/v1/schedules", status_code=201, response_model=WorkflowSchedule, summary="Schedule a workflow")
def post_schedule(request: ScheduleCreate, tenant: CurrentTenant, principal: CurrentPrincipal) -> WorkflowSchedule:
    return create_schedule(tenant, request, principal.subject)


@router.get("/v1/schedules", response_model=SchedulePage, summary="List the tenant's schedules")
def get_schedules(tenant: CurrentTenant, limit: PageLimit = DEFAULT_LIMIT, cursor: PageCursor = None) -> SchedulePage:
    return list_schedules(tenant, limit=limit, cursor=cursor)


@router.get(
    "/v1/schedules/{schedule_id}",
    response_model=WorkflowScheduleDetail,
    summary="Read a schedule: its next fire times and the newest slots that could not start",
)
def read_schedule(schedule_id: str, tenant: CurrentTenant) -> WorkflowScheduleDetail:
    return get_schedule(tenant, schedule_id)


@router.patch(
    "/v1/schedules/{schedule_id}",
    response_model=WorkflowSchedule,
    summary='Change a schedule (only the fields sent), e.g. `{"enabled": false}` to pause it',
    responses=_TRIGGER_OWNED,
)
def patch_schedule(schedule_id: str, update: ScheduleUpdate, tenant: CurrentTenant) -> WorkflowSchedule:
    return update_schedule(tenant, schedule_id, update)


@router.delete("/v1/schedules/{schedule_id}", status_code=204, summary="Delete a schedule", responses=_TRIGGER_OWNED)
def remove_schedule(schedule_id: str, tenant: CurrentTenant) -> Response:
    delete_schedule(tenant, schedule_id)
    return Response(status_code=204)


@router.get(
    "/v1/schedules/{schedule_id}/failures",
    response_model=ScheduleFailurePage,
    summary="Slots of a schedule that could not start its workflow, newest first (kept 30 days)",
)
def get_failures(
    schedule_id: str, tenant: CurrentTenant, limit: PageLimit = DEFAULT_LIMIT, cursor: PageCursor = None
) -> ScheduleFailurePage:
    return list_failures(tenant, schedule_id, limit=limit, cursor=cursor)


@router.post(
    "/v1/workflows/{workflow_id}/schedule/pause",
    response_model=WorkflowSchedule,
    summary="Pause the workflow's own trigger schedule (its schedule node's); publishing again keeps it paused",
)
def pause_trigger_schedule(workflow_id: str, tenant: CurrentTenant) -> WorkflowSchedule:
    return set_trigger_schedule_enabled(tenant, workflow_id, enabled=False)


@router.post(
    "/v1/workflows/{workflow_id}/schedule/resume",
    response_model=WorkflowSchedule,
    summary="Resume the workflow's own trigger schedule",
)
def resume_trigger_schedule(workflow_id: str, tenant: CurrentTenant) -> WorkflowSchedule:
    return set_trigger_schedule_enabled(tenant, workflow_id, enabled=True)
