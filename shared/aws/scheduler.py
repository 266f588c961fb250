"""The EventBridge Scheduler calls of schedules and tenant purges, one function each. `region`: the region a
schedule or group was created in when it is not this function's (None). Scheduler's refusals arrive as botocore's
ClientError with its error code."""

from __future__ import annotations

from typing import Any

from shared.aws.clients import scheduler_client


def get_schedule(name: str, group: str, *, region: str | None = None) -> dict[str, Any]:
    """GetSchedule's answer: the schedule's expression, time zone, state, dates and target."""
    return dict(scheduler_client(region).get_schedule(Name=name, GroupName=group))


def create_schedule(schedule: dict[str, Any], *, region: str | None = None) -> None:
    """CreateSchedule with `schedule`'s fields (Name, GroupName, ScheduleExpression, Target, ...)."""
    scheduler_client(region).create_schedule(**schedule)


def update_schedule(schedule: dict[str, Any], *, region: str | None = None) -> None:
    """UpdateSchedule, which replaces every field of the schedule with `schedule`'s."""
    scheduler_client(region).update_schedule(**schedule)


def delete_schedule(name: str, group: str, *, region: str | None = None) -> None:
    scheduler_client(region).delete_schedule(Name=name, GroupName=group)


def get_schedule_group(name: str, *, region: str | None = None) -> dict[str, Any]:
    return dict(scheduler_client(region).get_schedule_group(Name=name))


def create_schedule_group(name: str, *, region: str | None = None) -> None:
    scheduler_client(region).create_schedule_group(Name=name)


def delete_schedule_group(name: str, *, region: str | None = None) -> None:
    scheduler_client(region).delete_schedule_group(Name=name)
