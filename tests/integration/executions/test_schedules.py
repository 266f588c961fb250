"""Schedules over HTTP, written to the emulation's EventBridge Scheduler and fired by forge dev's local scheduler.

The local scheduler's clock is injected: each test runs hours or days of slots in a moment, with no wall-clock wait.
"""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from fastapi.testclient import TestClient

from devserver.emulation import LOCAL_PREFIX, LOCAL_REGION
from devserver.lambda_runtime import LocalLambdaRuntime
from shared.auth.principal import Role
from shared.catalog import function_physical_name
from shared.resources import SCHEDULE_GROUPS
from tests.integration.executions.support import (
    Clock,
    create_and_publish,
    local_scheduler,
    scheduled_executions,
    scheduler_schedule,
    transform_workflow,
)
from tests.integration.tenancy.conftest import TenantWorld, make_tenant

FIRE_FUNCTION = function_physical_name(LOCAL_PREFIX, SCHEDULE_GROUPS.target_function)


@pytest.fixture
def world(api: TestClient, issuer, admin_headers) -> TenantWorld:
    # Enterprise: an hour of slots must not meet the concurrent quota while no status watcher releases slots.
    return make_tenant(api, issuer, admin_headers, "sched")


@pytest.fixture
def workflow_id(api: TestClient, world: TenantWorld) -> str:
    return create_and_publish(
        api, world.headers[Role.OWNER], transform_workflow("{'slot': $states.input.schedule.scheduled_time}")
    )


def create(api: TestClient, world: TenantWorld, **fields: Any) -> Any:
    return api.post("/v1/schedules", headers=world.headers[Role.EDITOR], json={"name": "nightly", **fields})


def created(api: TestClient, world: TenantWorld, **fields: Any) -> dict[str, Any]:
    response = create(api, world, **fields)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def slot_times(api: TestClient, world: TenantWorld) -> list[str]:
    times = []
    for summary in scheduled_executions(api, world):
        record = api.get(f"/v1/executions/{summary['execution_id']}", headers=world.headers[Role.VIEWER]).json()
        times.append(record["input"]["schedule"]["scheduled_time"])
    return sorted(times)


def test_a_schedule_is_written_to_scheduler_in_the_tenants_group_with_the_fire_target(api, world, workflow_id) -> None:
    schedule = created(
        api, world, workflow_id=workflow_id, expression="cron(0 9 ? * MON-FRI *)", timezone="Europe/Paris"
    )

    written = scheduler_schedule(world, schedule["schedule_id"])

    assert written["ScheduleExpression"] == "cron(0 9 ? * MON-FRI *)"
    assert written["ScheduleExpressionTimezone"] == "Europe/Paris"
    assert written["State"] == "ENABLED"
    assert written["Target"]["Arn"].endswith(f":function:{FIRE_FUNCTION}")
    assert written["Target"]["RoleArn"].endswith(f":role/{SCHEDULE_GROUPS.invoke_role_name(LOCAL_PREFIX)}")
    assert written["Target"]["DeadLetterConfig"]["Arn"].endswith(f":{FIRE_FUNCTION}-dlq")
    assert written["Target"]["RetryPolicy"]["MaximumEventAgeInSeconds"] <= 24 * 3600  # the idempotency key's life
    assert json.loads(written["Target"]["Input"]) == {
        "tenant_id": world.tenant_id,
        "schedule_id": schedule["schedule_id"],
        "workflow_id": workflow_id,
        "scheduled_time": "<aws.scheduler.scheduled-time>",
    }
    # 09:00 in Paris on weekdays: 08:00 or 07:00 UTC depending on daylight saving time.
    assert len(schedule["next_fire_times"]) == 5
    for moment in schedule["next_fire_times"]:
        fire = datetime.fromisoformat(moment)
        assert fire.weekday() < 5 and fire.hour in (7, 8) and fire.minute == 0


def test_create_read_list_update_and_delete(api, world, workflow_id) -> None:
    editor, viewer = world.headers[Role.EDITOR], world.headers[Role.VIEWER]
    schedule = created(api, world, workflow_id=workflow_id, expression="rate(5 minutes)", input={"report": "daily"})
    schedule_id = schedule["schedule_id"]
    fires = [datetime.fromisoformat(moment) for moment in schedule["next_fire_times"]]
    assert [later - earlier for earlier, later in itertools.pairwise(fires)] == [timedelta(minutes=5)] * 4

    read = api.get(f"/v1/schedules/{schedule_id}", headers=viewer).json()
    assert read["input"] == {"report": "daily"} and read["recent_failures"] == [] and read["enabled"] is True
    for _ in range(2):
        created(api, world, workflow_id=workflow_id, expression="rate(1 hour)")
    first = api.get("/v1/schedules", params={"limit": 2}, headers=viewer).json()
    rest = api.get("/v1/schedules", params={"limit": 2, "cursor": first["next_cursor"]}, headers=viewer).json()
    assert len(first["items"]) == 2 and len(rest["items"]) == 1 and rest["next_cursor"] is None

    paused = api.patch(f"/v1/schedules/{schedule_id}", headers=editor, json={"enabled": False})
    assert paused.status_code == 200, paused.text
    assert paused.json()["next_fire_times"] == [] and paused.json()["revision"] == 2
    assert scheduler_schedule(world, schedule_id)["State"] == "DISABLED"
    changed = api.patch(
        f"/v1/schedules/{schedule_id}",
        headers=editor,
        json={"enabled": True, "expression": "cron(15 6 * * ? *)", "timezone": "Asia/Tokyo"},
    ).json()
    assert [datetime.fromisoformat(moment).strftime("%H:%M") for moment in changed["next_fire_times"]] == ["21:15"] * 5
    written = scheduler_schedule(world, schedule_id)
    assert (written["State"], written["ScheduleExpression"], written["ScheduleExpressionTimezone"]) == (
        "ENABLED",
        "cron(15 6 * * ? *)",
        "Asia/Tokyo",
    )

    assert api.delete(f"/v1/schedules/{schedule_id}", headers=editor).status_code == 204
    assert api.get(f"/v1/schedules/{schedule_id}", headers=viewer).status_code == 404
    with pytest.raises(boto3.client("scheduler", region_name=LOCAL_REGION).exceptions.ResourceNotFoundException):
        scheduler_schedule(world, schedule_id)


def in_an_hour() -> str:
    return (datetime.now(UTC) + timedelta(hours=1)).isoformat()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"expression": "cron(0 9 * * *)"}, "expression"),
        ({"expression": "cron(0 9 * * MON *)"}, "expression"),
        ({"expression": "rate(0 minutes)"}, "expression"),
        ({"expression": "rate(5 weeks)"}, "expression"),
        ({"expression": "every day"}, "expression"),
        ({"expression": "rate(1 hour)", "timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"expression": "rate(1 hour)", "start_date": "2030-01-01T09:00:00"}, "start_date"),
        ({"expression": "rate(1 hour)", "start_date": "2020-01-01T09:00:00Z"}, "start_date"),
        ({"expression": "rate(1 hour)", "end_date": "2020-01-01T09:00:00Z"}, "end_date"),
        (
            {"expression": "rate(1 hour)", "start_date": "2030-01-02T00:00:00Z", "end_date": "2030-01-01T00:00:00Z"},
            "end_date",
        ),
        ({"expression": "rate(1 hour)", "input": {"blob": "x" * 500_000}}, "input"),
    ],
)
def test_a_schedule_scheduler_would_refuse_is_a_422_naming_the_field(api, world, workflow_id, fields, field) -> None:
    refused = create(api, world, workflow_id=workflow_id, **fields)

    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert [param["name"] for param in refused.json()["invalid-params"]] == [f"/body/{field}"]
    assert api.get("/v1/schedules", headers=world.headers[Role.VIEWER]).json()["items"] == []


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"expression": "cron(61 * * * ? *)"}, "expression"),
        ({"timezone": "Europe/Atlantis"}, "timezone"),
        ({"name": None}, "name"),
        ({"expression": None}, "expression"),
        ({"end_date": "2020-01-01T00:00:00Z"}, "end_date"),
        ({"input": {"blob": "x" * 500_000}}, "input"),
    ],
)
def test_an_update_scheduler_would_refuse_is_a_422_and_changes_nothing(api, world, workflow_id, patch, field) -> None:
    schedule = created(api, world, workflow_id=workflow_id, expression="rate(1 hour)")
    path = f"/v1/schedules/{schedule['schedule_id']}"

    refused = api.patch(path, headers=world.headers[Role.EDITOR], json=patch)

    assert refused.status_code == 422, refused.text
    assert [param["name"] for param in refused.json()["invalid-params"]] == [f"/body/{field}"]
    assert api.get(path, headers=world.headers[Role.VIEWER]).json()["revision"] == 1
    assert scheduler_schedule(world, schedule["schedule_id"])["ScheduleExpression"] == "rate(1 hour)"


def test_a_schedule_of_an_unknown_workflow_is_a_404(api, world) -> None:
    refused = create(api, world, workflow_id="wf-nope", expression="rate(1 hour)")
    assert refused.status_code == 404
    assert refused.json()["type"].endswith("/not-found")


def redeliver(runtime: LocalLambdaRuntime, world: TenantWorld, schedule_id: str, scheduled_time: str) -> Any:
    """A slot delivered again, as Scheduler retries: the target input written to Scheduler, with the slot's time."""
    target = scheduler_schedule(world, schedule_id)["Target"]
    rendered = target["Input"].replace("<aws.scheduler.scheduled-time>", scheduled_time)
    result = runtime.invoke(target["Arn"], rendered.encode())
    assert "FunctionError" not in result
    return json.loads(result["Payload"].read())


def test_a_rate_schedule_fires_once_per_slot_over_a_simulated_hour(api, world, workflow_id, emulated_aws) -> None:
    clock = Clock(datetime.now(UTC))
    scheduler = local_scheduler(emulated_aws, clock)
    schedule = created(api, world, workflow_id=workflow_id, expression="rate(5 minutes)", input={"n": 1})
    assert scheduler.tick() == 0  # first sight: its slots start now
    start = clock.now

    fired = clock.run(scheduler, start + timedelta(hours=1), step=timedelta(minutes=1))

    assert fired == 12
    times = slot_times(api, world)
    assert len(times) == len(set(times)) == 12
    moments = [datetime.fromisoformat(moment) for moment in times]
    assert all(later - earlier == timedelta(minutes=5) for earlier, later in itertools.pairwise(moments))
    assert {e["source"] for e in scheduled_executions(api, world)} == {schedule["schedule_id"]}
    # The same slot again: the local scheduler has it behind it, and a redelivery starts nothing either.
    assert scheduler.tick() == 0
    redelivered = redeliver(emulated_aws, world, schedule["schedule_id"], times[0])
    assert redelivered["result"] == "already_started"
    assert len(scheduled_executions(api, world)) == 12


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        # Clocks go forward on 29 March 2026 at 02:00 in Berlin: 02:30 does not exist that day and is skipped.
        (
            ("2026-03-27T12:00:00Z", "2026-03-31T12:00:00Z"),
            ["2026-03-28T01:30:00Z", "2026-03-30T00:30:00Z", "2026-03-31T00:30:00Z"],
        ),
        # Clocks go back on 25 October 2026 at 03:00: 02:30 happens twice and fires once.
        (
            ("2026-10-24T12:00:00Z", "2026-10-26T12:00:00Z"),
            ["2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"],
        ),
    ],
    ids=["spring forward", "fall back"],
)
def test_a_cron_schedule_fires_at_local_times_across_a_dst_change(
    api, world, workflow_id, emulated_aws, window, expected
) -> None:
    created(api, world, workflow_id=workflow_id, expression="cron(30 2 * * ? *)", timezone="Europe/Berlin")
    begin, end = (datetime.fromisoformat(moment) for moment in window)
    clock = Clock(begin)
    scheduler = local_scheduler(emulated_aws, clock)
    scheduler.tick()

    clock.run(scheduler, end, step=timedelta(minutes=15))

    assert slot_times(api, world) == expected


def test_a_schedule_whose_workflow_is_not_published_records_failed_slots_and_alerts(
    api, world, emulated_aws, capsys, caplog
) -> None:
    # (A deleted workflow takes its schedules with it: see test_trigger_schedules.py.)
    draft = api.post("/v1/workflows", headers=world.headers[Role.OWNER], json=transform_workflow("{'ok': true}"))
    assert draft.status_code == 201, draft.text
    workflow_id = draft.json()["id"]
    schedule = created(api, world, workflow_id=workflow_id, expression="rate(5 minutes)")
    clock = Clock(datetime.now(UTC))
    scheduler = local_scheduler(emulated_aws, clock)
    scheduler.tick()
    capsys.readouterr()
    caplog.clear()

    fired = clock.run(scheduler, clock.now + timedelta(minutes=10), step=timedelta(minutes=1))

    assert fired == 2
    assert scheduled_executions(api, world) == []
    read = api.get(f"/v1/schedules/{schedule['schedule_id']}", headers=world.headers[Role.VIEWER]).json()
    failures = read["recent_failures"]
    assert len(failures) == 2 and failures[0]["scheduled_time"] > failures[1]["scheduled_time"]
    assert {failure["problem"].rsplit("/", 1)[1] for failure in failures} == {"not-found"}
    assert all(workflow_id in failure["detail"] and failure["attempts"] == 1 for failure in failures)
    listed = api.get(f"/v1/schedules/{schedule['schedule_id']}/failures", headers=world.headers[Role.VIEWER]).json()
    assert listed["items"] == failures
    # The alert: an EMF metric the CDK alarm watches, and an error log line, per failed slot.
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    metrics = [line["ScheduleSlotsFailed"] for line in emitted if "ScheduleSlotsFailed" in line]
    errors = [record for record in caplog.records if record.levelname == "ERROR"]
    assert metrics == [[1.0], [1.0]]
    assert len(errors) == 2 and {getattr(record, "schedule_id", None) for record in errors} == {schedule["schedule_id"]}

    # A redelivered failed slot is still one failure, attempted twice.
    redelivered = redeliver(emulated_aws, world, schedule["schedule_id"], failures[0]["scheduled_time"])
    assert redelivered["result"] == "failed"
    again = api.get(f"/v1/schedules/{schedule['schedule_id']}/failures", headers=world.headers[Role.VIEWER]).json()
    assert [failure["attempts"] for failure in again["items"]] == [2, 1]


def test_a_disabled_schedule_fires_nothing(api, world, workflow_id, emulated_aws) -> None:
    schedule = created(api, world, workflow_id=workflow_id, expression="rate(1 minute)", enabled=False)
    clock = Clock(datetime.now(UTC))
    scheduler = local_scheduler(emulated_aws, clock)
    scheduler.tick()

    assert clock.run(scheduler, clock.now + timedelta(minutes=30), step=timedelta(minutes=5)) == 0
    # A slot Scheduler took just before the schedule was disabled is skipped by the fire function.
    late = redeliver(emulated_aws, world, schedule["schedule_id"], "2026-01-01T00:00:00Z")
    assert late["result"] == "skipped"
    assert scheduled_executions(api, world) == []


def test_schedules_of_another_tenant_are_not_found(api, world, workflow_id, issuer, admin_headers) -> None:
    schedule = created(api, world, workflow_id=workflow_id, expression="rate(1 hour)")
    other = make_tenant(api, issuer, admin_headers, "other")
    path = f"/v1/schedules/{schedule['schedule_id']}"

    assert api.get(path, headers=other.headers[Role.OWNER]).status_code == 404
    assert api.patch(path, headers=other.headers[Role.OWNER], json={"enabled": False}).status_code == 404
    assert api.delete(path, headers=other.headers[Role.OWNER]).status_code == 404
    assert api.get("/v1/schedules", headers=other.headers[Role.OWNER]).json()["items"] == []
    refused = create(api, other, workflow_id=workflow_id, expression="rate(1 hour)")
    assert refused.status_code == 404
    assert scheduler_schedule(world, schedule["schedule_id"])["State"] == "ENABLED"


def test_start_and_end_dates_bound_the_slots(api, world, workflow_id, emulated_aws) -> None:
    clock = Clock(datetime.now(UTC))
    scheduler = local_scheduler(emulated_aws, clock)
    start = (clock.now + timedelta(minutes=2)).replace(microsecond=0)
    created(
        api,
        world,
        workflow_id=workflow_id,
        expression="rate(5 minutes)",
        start_date=start.isoformat(),
        end_date=(start + timedelta(minutes=12)).isoformat(),
    )
    scheduler.tick()

    clock.run(scheduler, clock.now + timedelta(hours=1), step=timedelta(minutes=1))

    # Counted from the start date, none after the end date.
    expected = [start + timedelta(minutes=minutes) for minutes in (0, 5, 10)]
    assert slot_times(api, world) == [moment.strftime("%Y-%m-%dT%H:%M:%SZ") for moment in expected]


def test_slots_beyond_the_concurrent_quota_are_failures_of_the_schedule(
    api, issuer, admin_headers, emulated_aws
) -> None:
    basic = make_tenant(api, issuer, admin_headers, "quota", tier="basic")
    workflow_id = create_and_publish(api, basic.headers[Role.OWNER], transform_workflow("{'ok': true}"))
    schedule = created(api, basic, workflow_id=workflow_id, expression="rate(1 minute)")
    clock = Clock(datetime.now(UTC))
    scheduler = local_scheduler(emulated_aws, clock)
    scheduler.tick()

    # No status watcher runs here, so every started execution keeps its slot of the basic tier's 10.
    fired = clock.run(scheduler, clock.now + timedelta(minutes=15), step=timedelta(minutes=1))

    assert fired == 15
    assert len(scheduled_executions(api, basic)) == 10
    path = f"/v1/schedules/{schedule['schedule_id']}/failures"
    failures = api.get(path, headers=basic.headers[Role.VIEWER]).json()["items"]
    assert len(failures) == 5
    assert {failure["problem"].rsplit("/", 1)[1] for failure in failures} == {"quota-exceeded"}
    assert all("concurrent" in failure["detail"] for failure in failures)
