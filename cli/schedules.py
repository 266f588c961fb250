"""`forge schedules`: the tenant's schedules, and pausing a workflow's own trigger schedule through its workflow."""

from __future__ import annotations

from typing import Any

import click

from cli.app import ForgeGroup, all_pages, emit, invocation, json_argument, table
from cli.workflows import resolve_workflow

SCHEDULE_COLUMNS = ["schedule_id", "name", "workflow_id", "expression", "timezone", "enabled", "managed_by"]


@click.group(cls=ForgeGroup)
def schedules() -> None:
    """Schedules that run a workflow's live version on a rate or cron expression."""


@schedules.command("list")
def list_schedules() -> None:
    items = all_pages("/v1/schedules")
    emit(items, lambda rows: table(rows, SCHEDULE_COLUMNS), quiet="\n".join(i["schedule_id"] for i in items))


@schedules.command("get")
@click.argument("schedule_id")
def get_schedule(schedule_id: str) -> None:
    """A schedule with its next fire times and recent failures."""
    schedule = invocation().client().get(f"/v1/schedules/{schedule_id}")
    emit(schedule, quiet=schedule["schedule_id"])


@schedules.command("create")
@click.argument("workflow")
@click.option("--name", required=True)
@click.option("--expression", required=True, help="rate(...) or cron(...), as EventBridge Scheduler reads them.")
@click.option("--timezone", default="UTC", show_default=True, help="An IANA time zone.")
@click.option("--input", "input_value", help="The input each slot passes: JSON, @file or @-.")
@click.option("--end-date", help="ISO 8601; no slot after it.")
def create_schedule(
    workflow: str, name: str, expression: str, timezone: str, input_value: str | None, end_date: str | None
) -> None:
    """A schedule of WORKFLOW (id or name)."""
    body: dict[str, Any] = {
        "workflow_id": resolve_workflow(workflow),
        "name": name,
        "expression": expression,
        "timezone": timezone,
    }
    if input_value is not None:
        body["input"] = json_argument(input_value)
    if end_date is not None:
        body["end_date"] = end_date
    schedule = invocation().client().post("/v1/schedules", body)
    emit(schedule, _render_schedule, quiet=schedule["schedule_id"])


@schedules.command("pause")
@click.argument("schedule_id", required=False)
@click.option("--workflow", help="Pause the workflow's own trigger schedule (its `schedule` node) instead.")
def pause_schedule(schedule_id: str | None, workflow: str | None) -> None:
    """Stop a schedule's slots until it is resumed."""
    _set_enabled(schedule_id, workflow, enabled=False)


@schedules.command("resume")
@click.argument("schedule_id", required=False)
@click.option("--workflow", help="Resume the workflow's own trigger schedule instead.")
def resume_schedule(schedule_id: str | None, workflow: str | None) -> None:
    """Run a paused schedule's slots again."""
    _set_enabled(schedule_id, workflow, enabled=True)


@schedules.command("delete")
@click.argument("schedule_id")
def delete_schedule(schedule_id: str) -> None:
    invocation().client().request("DELETE", f"/v1/schedules/{schedule_id}")
    emit({"schedule_id": schedule_id, "deleted": True}, lambda _: f"deleted {schedule_id}", quiet=schedule_id)


def _set_enabled(schedule_id: str | None, workflow: str | None, *, enabled: bool) -> None:
    if (schedule_id is None) == (workflow is None):
        raise click.UsageError("give either SCHEDULE_ID or --workflow")
    client = invocation().client()
    if workflow is not None:
        action = "resume" if enabled else "pause"
        schedule = client.post(f"/v1/workflows/{resolve_workflow(workflow)}/schedule/{action}")
    else:
        schedule = client.request("PATCH", f"/v1/schedules/{schedule_id}", json={"enabled": enabled})
    emit(schedule, _render_schedule, quiet=schedule["schedule_id"])


def _render_schedule(schedule: dict[str, Any]) -> str:
    state = "enabled" if schedule["enabled"] else "paused"
    upcoming = ", ".join(schedule.get("next_fire_times") or []) or "none"
    return f"{schedule['schedule_id']} {schedule['expression']} ({schedule['timezone']}): {state}; next: {upcoming}"
