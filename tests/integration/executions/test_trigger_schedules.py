"""A workflow's own `schedule` trigger node: publishing and rolling back keep its trigger schedule in the emulation's
EventBridge Scheduler and in GET /v1/schedules; deleting a workflow deletes its schedules and webhook endpoints.

The local scheduler's clock is injected, as in test_schedules.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from fastapi.testclient import TestClient

from shared.auth.principal import Role
from shared.aws.clients import scheduler_client
from shared.store.context import TenantContext
from shared.store.triggers import Schedules
from shared.store.workflows import WorkflowVersions, pack, unpack
from tests.integration.executions.support import (
    Clock,
    local_scheduler,
    publish,
    scheduled_executions,
    scheduler_schedule,
)
from tests.integration.tenancy.conftest import TenantWorld, make_tenant
from tests.workflows.cases import chain, node


def assert_not_in_scheduler(world: TenantWorld, schedule_id: str) -> None:
    with pytest.raises(ClientError) as missing:
        scheduler_schedule(world, schedule_id)
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"


def ticking(expression: str | None, timezone: str = "UTC", name: str = "ticker") -> dict[str, Any]:
    """A workflow started by a schedule trigger node (by a manual one when `expression` is None)."""
    trigger = node("start", "manual") if expression is None else node("start", "schedule", expression=expression)
    if expression is not None:
        trigger["params"]["timezone"] = timezone
    return {
        "name": name,
        "nodes": [trigger, node("shape", "transform", expression="{'slot': $states.input.schedule.scheduled_time}")],
        "edges": chain("start", "shape"),
    }


@pytest.fixture
def world(api: TestClient, issuer, admin_headers) -> TenantWorld:
    return make_tenant(api, issuer, admin_headers, "ticks")


def create_workflow(api: TestClient, world: TenantWorld, document: dict[str, Any]) -> str:
    created = api.post("/v1/workflows", headers=world.headers[Role.EDITOR], json=document)
    assert created.status_code == 201, created.text
    workflow_id: str = created.json()["id"]
    return workflow_id


def schedules(api: TestClient, world: TenantWorld) -> list[dict[str, Any]]:
    page = api.get("/v1/schedules", headers=world.headers[Role.VIEWER], params={"limit": 100})
    assert page.status_code == 200, page.text
    items: list[dict[str, Any]] = page.json()["items"]
    return items


def trigger_schedule(api: TestClient, world: TenantWorld, workflow_id: str) -> dict[str, Any]:
    (found,) = [
        item
        for item in schedules(api, world)
        if item["managed_by"] == "workflow" and item["workflow_id"] == workflow_id
    ]
    return found


def live_version(api: TestClient, world: TenantWorld, workflow_id: str) -> int | None:
    version: int | None = api.get(f"/v1/workflows/{workflow_id}", headers=world.headers[Role.VIEWER]).json()[
        "live_version"
    ]
    return version


def rollback(api: TestClient, world: TenantWorld, workflow_id: str, version: int) -> Any:
    return api.post(
        f"/v1/workflows/{workflow_id}/rollback", headers=world.headers[Role.EDITOR], json={"version": version}
    )


@contextmanager
def scheduler_calls(*operations: str, refuse_with: str | None = None) -> Iterator[list[str]]:
    """Records the platform's Scheduler calls of `operations`; with `refuse_with`, Scheduler refuses them so."""
    client = scheduler_client()
    made: list[str] = []

    def record(model: Any, **_: Any) -> None:
        made.append(model.name)
        if refuse_with is not None:
            raise ClientError(
                {"Error": {"Code": refuse_with, "Message": f"refused by the test: {model.name}"}}, model.name
            )

    events = [f"before-call.scheduler.{operation}" for operation in operations]
    for event in events:
        client.meta.events.register(event, record, unique_id=f"test-{event}")
    try:
        yield made
    finally:
        for event in events:
            client.meta.events.unregister(event, unique_id=f"test-{event}")


def test_publishing_and_rolling_back_keep_one_trigger_schedule_bound_to_the_live_version(api, world) -> None:
    workflow_id = create_workflow(api, world, ticking("cron(0 9 ? * MON-FRI *)", "Europe/Paris"))

    assert publish(api, world.headers[Role.EDITOR], workflow_id) == 1
    first = trigger_schedule(api, world, workflow_id)
    schedule_id = first["schedule_id"]
    assert (first["expression"], first["timezone"], first["workflow_version"]) == (
        "cron(0 9 ? * MON-FRI *)",
        "Europe/Paris",
        1,
    )
    assert first["enabled"] is True and len(first["next_fire_times"]) == 5
    written = scheduler_schedule(world, schedule_id)
    assert (written["ScheduleExpression"], written["ScheduleExpressionTimezone"]) == (
        "cron(0 9 ? * MON-FRI *)",
        "Europe/Paris",
    )
    assert json.loads(written["Target"]["Input"])["workflow_id"] == workflow_id

    # v2, another expression: the same schedule, changed in Scheduler.
    assert publish(api, world.headers[Role.EDITOR], workflow_id, ticking("rate(15 minutes)")) == 2
    second = trigger_schedule(api, world, workflow_id)
    assert (second["schedule_id"], second["expression"], second["timezone"]) == (schedule_id, "rate(15 minutes)", "UTC")
    assert second["workflow_version"] == 2 and second["revision"] > first["revision"]
    assert scheduler_schedule(world, schedule_id)["ScheduleExpression"] == "rate(15 minutes)"

    # Published again unchanged: the same schedule follows v3, and Scheduler is not written (the rate keeps its
    # rhythm).
    with scheduler_calls("CreateSchedule", "UpdateSchedule") as writes:
        assert publish(api, world.headers[Role.EDITOR], workflow_id) == 3
    assert writes == []
    assert trigger_schedule(api, world, workflow_id)["workflow_version"] == 3

    # v4 starts manually: the trigger schedule is gone from Scheduler and the API.
    assert publish(api, world.headers[Role.EDITOR], workflow_id, ticking(None)) == 4
    assert schedules(api, world) == []
    assert_not_in_scheduler(world, schedule_id)

    # Back to v2: the schedule is back with v2's expression; back to v1: with v1's.
    assert rollback(api, world, workflow_id, 2).status_code == 200
    back = trigger_schedule(api, world, workflow_id)
    assert (back["schedule_id"], back["expression"], back["workflow_version"]) == (schedule_id, "rate(15 minutes)", 2)
    assert scheduler_schedule(world, schedule_id)["ScheduleExpression"] == "rate(15 minutes)"
    assert rollback(api, world, workflow_id, 1).status_code == 200
    assert trigger_schedule(api, world, workflow_id)["expression"] == "cron(0 9 ? * MON-FRI *)"
    assert scheduler_schedule(world, schedule_id)["ScheduleExpressionTimezone"] == "Europe/Paris"
    assert rollback(api, world, workflow_id, 4).status_code == 200
    assert schedules(api, world) == []


def test_publishes_converge_on_the_one_trigger_schedule_whatever_an_earlier_failure_left(api, world) -> None:
    workflow_id = create_workflow(api, world, ticking("rate(5 minutes)"))
    publish(api, world.headers[Role.EDITOR], workflow_id)
    schedule_id = trigger_schedule(api, world, workflow_id)["schedule_id"]
    records = Schedules(TenantContext(world.tenant_id))

    def lose_the_record() -> None:
        """What a publish leaves that failed after writing Scheduler and before writing our record."""
        record = records.get(schedule_id)
        assert record is not None
        records.delete(record)

    # Scheduler has the schedule without our record: the next publish updates it and writes the record.
    lose_the_record()
    publish(api, world.headers[Role.EDITOR], workflow_id, ticking("rate(10 minutes)"))
    converged = trigger_schedule(api, world, workflow_id)
    assert (converged["schedule_id"], converged["expression"], converged["workflow_version"]) == (
        schedule_id,
        "rate(10 minutes)",
        2,
    )
    assert scheduler_schedule(world, schedule_id)["ScheduleExpression"] == "rate(10 minutes)"

    # Another request creates it between this one's read and its create: the create becomes an update.
    with (
        scheduler_calls("GetSchedule", refuse_with="ResourceNotFoundException"),
        scheduler_calls("CreateSchedule", "UpdateSchedule") as writes,
    ):
        publish(api, world.headers[Role.EDITOR], workflow_id, ticking("rate(15 minutes)"))
    assert writes == ["CreateSchedule", "UpdateSchedule"]
    assert [item["schedule_id"] for item in schedules(api, world)] == [schedule_id]
    assert scheduler_schedule(world, schedule_id)["ScheduleExpression"] == "rate(15 minutes)"

    # Another trigger removes it from Scheduler even where our record is missing.
    lose_the_record()
    publish(api, world.headers[Role.EDITOR], workflow_id, ticking(None))
    assert_not_in_scheduler(world, schedule_id)
    assert schedules(api, world) == []


def test_the_schedules_api_lists_the_trigger_schedule_but_refuses_to_change_or_delete_it(api, world) -> None:
    workflow_id = create_workflow(api, world, ticking("rate(1 hour)"))
    publish(api, world.headers[Role.EDITOR], workflow_id)
    made = api.post(
        "/v1/schedules",
        headers=world.headers[Role.EDITOR],
        json={"workflow_id": workflow_id, "name": "extra", "expression": "rate(2 hours)"},
    )
    assert made.status_code == 201 and made.json()["managed_by"] == "api" and made.json()["workflow_version"] is None
    schedule_id = trigger_schedule(api, world, workflow_id)["schedule_id"]
    path = f"/v1/schedules/{schedule_id}"

    for refused in (
        api.patch(path, headers=world.headers[Role.EDITOR], json={"enabled": False}),
        api.delete(path, headers=world.headers[Role.EDITOR]),
    ):
        assert refused.status_code == 409, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        problem = refused.json()
        assert problem["type"].endswith("/conflict") and "schedule trigger" in problem["detail"]
        assert problem["workflow_id"] == workflow_id and problem["managed_by"] == "workflow"

    read = api.get(path, headers=world.headers[Role.VIEWER]).json()
    assert read["enabled"] is True and read["revision"] == 1
    assert scheduler_schedule(world, schedule_id)["State"] == "ENABLED"
    # The schedule made through the API stays the caller's to change.
    assert api.delete(f"/v1/schedules/{made.json()['schedule_id']}", headers=world.headers[Role.EDITOR]).is_success


def test_the_workflow_pauses_and_resumes_its_trigger_schedule_and_a_publish_keeps_it_paused(
    api, world, emulated_aws
) -> None:
    workflow_id = create_workflow(api, world, ticking("rate(5 minutes)"))
    publish(api, world.headers[Role.EDITOR], workflow_id)
    schedule_id = trigger_schedule(api, world, workflow_id)["schedule_id"]

    paused = api.post(f"/v1/workflows/{workflow_id}/schedule/pause", headers=world.headers[Role.EDITOR])
    assert paused.status_code == 200, paused.text
    assert paused.json()["enabled"] is False and paused.json()["schedule_id"] == schedule_id
    assert scheduler_schedule(world, schedule_id)["State"] == "DISABLED"
    publish(api, world.headers[Role.EDITOR], workflow_id)
    assert scheduler_schedule(world, schedule_id)["State"] == "DISABLED"
    clock = Clock(datetime.now(UTC))
    scheduler = local_scheduler(emulated_aws, clock)
    assert scheduler.tick() == 0
    assert clock.run(scheduler, clock.now + timedelta(minutes=15), step=timedelta(minutes=1)) == 0

    resumed = api.post(f"/v1/workflows/{workflow_id}/schedule/resume", headers=world.headers[Role.EDITOR])
    assert resumed.status_code == 200 and resumed.json()["enabled"] is True
    assert scheduler_schedule(world, schedule_id)["State"] == "ENABLED"
    viewer = api.post(f"/v1/workflows/{workflow_id}/schedule/pause", headers=world.headers[Role.VIEWER])
    assert viewer.status_code == 403


def test_a_workflow_without_a_trigger_schedule_has_none_to_pause(api, world) -> None:
    workflow_id = create_workflow(api, world, ticking(None))
    publish(api, world.headers[Role.EDITOR], workflow_id)
    missing = api.post(f"/v1/workflows/{workflow_id}/schedule/pause", headers=world.headers[Role.EDITOR])
    assert missing.status_code == 404
    assert "no trigger schedule" in missing.json()["detail"]


def test_the_local_scheduler_fires_the_trigger_schedule_with_the_live_version(api, world, emulated_aws) -> None:
    workflow_id = create_workflow(api, world, ticking("rate(5 minutes)"))
    publish(api, world.headers[Role.EDITOR], workflow_id)
    publish(api, world.headers[Role.EDITOR], workflow_id)
    schedule_id = trigger_schedule(api, world, workflow_id)["schedule_id"]
    clock = Clock(datetime.now(UTC))
    scheduler = local_scheduler(emulated_aws, clock)
    assert scheduler.tick() == 0

    fired = clock.run(scheduler, clock.now + timedelta(minutes=30), step=timedelta(minutes=1))

    assert fired == 6
    started = scheduled_executions(api, world)
    assert len(started) == 6
    assert {(item["source"], item["workflow_id"], item["version"]) for item in started} == {
        (schedule_id, workflow_id, 2)
    }


def test_a_schedule_trigger_scheduler_would_refuse_is_a_422_pointing_at_the_node(api, world) -> None:
    workflow_id = create_workflow(api, world, ticking("rate(5 minutes)"))
    path = f"/v1/workflows/{workflow_id}"
    for expression, timezone, field in [
        ("cron(0 9 * * *)", "UTC", "expression"),  # five fields: the node's pattern lets it through
        ("cron(0 9 * * MON *)", "UTC", "expression"),
        ("rate(0 minutes)", "UTC", "expression"),
        ("rate(1 hour)", "Mars/Olympus_Mons", "timezone"),
    ]:
        for refused in (
            api.post("/v1/workflows/validate", headers=world.headers[Role.EDITOR], json=ticking(expression, timezone)),
            api.put(path, headers=world.headers[Role.EDITOR], json=ticking(expression, timezone)),
        ):
            assert refused.status_code == 422, refused.text
            assert [param["name"] for param in refused.json()["invalid-params"]] == [f"/nodes/0/params/{field}"]

    assert schedules(api, world) == []
    draft = api.get(path, headers=world.headers[Role.VIEWER]).json()
    assert draft["revision"] == 1 and draft["definition"]["nodes"][0]["params"]["expression"] == "rate(5 minutes)"


def test_a_trigger_scheduler_refuses_at_publish_is_a_422_and_nothing_is_published(api, world) -> None:
    workflow_id = create_workflow(api, world, ticking("rate(5 minutes)"))
    versions = f"/v1/workflows/{workflow_id}/versions"

    with scheduler_calls("CreateSchedule", "UpdateSchedule", refuse_with="ValidationException") as calls:
        refused = api.post(f"/v1/workflows/{workflow_id}/publish", headers=world.headers[Role.EDITOR], json={})
    assert calls == ["CreateSchedule"]
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert [param["name"] for param in refused.json()["invalid-params"]] == ["/nodes/0/params/expression"]
    assert live_version(api, world, workflow_id) is None
    assert api.get(versions, headers=world.headers[Role.VIEWER]).json()["items"] == []
    assert schedules(api, world) == []

    # Once published, a refused change leaves the live version and its schedule as they were.
    assert publish(api, world.headers[Role.EDITOR], workflow_id) == 1
    with scheduler_calls("CreateSchedule", "UpdateSchedule", refuse_with="ValidationException"):
        revision = api.get(f"/v1/workflows/{workflow_id}", headers=world.headers[Role.VIEWER]).json()["revision"]
        api.put(
            f"/v1/workflows/{workflow_id}",
            headers={**world.headers[Role.EDITOR], "if-match": str(revision)},
            json=ticking("rate(10 minutes)"),
        )
        refused = api.post(f"/v1/workflows/{workflow_id}/publish", headers=world.headers[Role.EDITOR], json={})
    assert refused.status_code == 422, refused.text
    assert live_version(api, world, workflow_id) == 1
    assert [item["version"] for item in api.get(versions, headers=world.headers[Role.VIEWER]).json()["items"]] == [1]
    kept = trigger_schedule(api, world, workflow_id)
    assert (kept["expression"], kept["workflow_version"]) == ("rate(5 minutes)", 1)
    assert scheduler_schedule(world, kept["schedule_id"])["ScheduleExpression"] == "rate(5 minutes)"


def test_rolling_back_to_a_version_scheduler_would_refuse_is_a_422_and_changes_nothing(api, world) -> None:
    workflow_id = create_workflow(api, world, ticking("rate(5 minutes)"))
    publish(api, world.headers[Role.EDITOR], workflow_id)
    publish(api, world.headers[Role.EDITOR], workflow_id, ticking("rate(10 minutes)"))
    # Version 1 as a version published before its expression was checked would be stored.
    versions = WorkflowVersions(TenantContext(world.tenant_id), workflow_id)
    old = versions.get_version(1)
    assert old is not None
    stored = unpack(old.definition)
    stored["nodes"][0]["params"]["expression"] = "cron(0 9 * * *)"
    old.definition = pack(stored)
    versions.save(old)

    refused = rollback(api, world, workflow_id, 1)

    assert refused.status_code == 422, refused.text
    assert [param["name"] for param in refused.json()["invalid-params"]] == ["/nodes/0/params/expression"]
    assert live_version(api, world, workflow_id) == 2
    kept = trigger_schedule(api, world, workflow_id)
    assert (kept["expression"], kept["workflow_version"]) == ("rate(10 minutes)", 2)
    assert scheduler_schedule(world, kept["schedule_id"])["ScheduleExpression"] == "rate(10 minutes)"


def add_hook(api: TestClient, world: TenantWorld, workflow_id: str) -> str:
    hook = api.post("/v1/hooks", headers=world.headers[Role.EDITOR], json={"workflow_id": workflow_id, "name": "in"})
    assert hook.status_code == 201, hook.text
    hook_id: str = hook.json()["hook_id"]
    return hook_id


def add_schedule(api: TestClient, world: TenantWorld, workflow_id: str) -> str:
    made = api.post(
        "/v1/schedules",
        headers=world.headers[Role.EDITOR],
        json={"workflow_id": workflow_id, "name": "hourly", "expression": "rate(1 hour)"},
    )
    assert made.status_code == 201, made.text
    schedule_id: str = made.json()["schedule_id"]
    return schedule_id


def triggered_workflow(api: TestClient, world: TenantWorld, document: dict[str, Any]) -> tuple[str, list[str], str]:
    """A published workflow with its trigger schedule, a schedule made through the API and a webhook endpoint."""
    workflow_id = create_workflow(api, world, document)
    publish(api, world.headers[Role.EDITOR], workflow_id)
    schedule_ids = [trigger_schedule(api, world, workflow_id)["schedule_id"], add_schedule(api, world, workflow_id)]
    return workflow_id, schedule_ids, add_hook(api, world, workflow_id)


def assert_gone(api: TestClient, world: TenantWorld, workflow_id: str, schedule_ids: list[str], hook_id: str) -> None:
    viewer = world.headers[Role.VIEWER]
    assert api.get(f"/v1/workflows/{workflow_id}", headers=viewer).status_code == 404
    for schedule_id in schedule_ids:
        assert api.get(f"/v1/schedules/{schedule_id}", headers=viewer).status_code == 404
        assert_not_in_scheduler(world, schedule_id)
    assert api.get(f"/v1/hooks/{hook_id}", headers=viewer).status_code == 404
    # A delivery to the endpoint finds nothing (before any signature check).
    assert (
        api.post(f"/v1/hooks/{hook_id}", content=b"{}", headers={"content-type": "application/json"}).status_code == 404
    )
    assert WorkflowVersions(TenantContext(world.tenant_id), workflow_id).all_keys() == []


def assert_kept(api: TestClient, world: TenantWorld, schedule_ids: list[str], hook_id: str) -> None:
    for schedule_id in schedule_ids:
        assert api.get(f"/v1/schedules/{schedule_id}", headers=world.headers[Role.VIEWER]).status_code == 200
        assert scheduler_schedule(world, schedule_id)["State"] == "ENABLED"
    assert api.get(f"/v1/hooks/{hook_id}", headers=world.headers[Role.VIEWER]).status_code == 200
    assert (
        api.post(f"/v1/hooks/{hook_id}", content=b"{}", headers={"content-type": "application/json"}).status_code == 401
    )  # there, and wants a signature


def test_deleting_a_workflow_deletes_its_schedules_and_webhooks_and_nothing_else(
    api, world, issuer, admin_headers, emulated_aws
) -> None:
    doomed, doomed_schedules, doomed_hook = triggered_workflow(api, world, ticking("rate(5 minutes)"))
    kept, kept_schedules, kept_hook = triggered_workflow(api, world, ticking("rate(10 minutes)", name="other"))
    other = make_tenant(api, issuer, admin_headers, "elsewhere")
    _, foreign_schedules, foreign_hook = triggered_workflow(api, other, ticking("rate(5 minutes)"))

    deleted = api.delete(f"/v1/workflows/{doomed}", headers=world.headers[Role.ADMIN])

    assert deleted.status_code == 204, deleted.text
    assert_gone(api, world, doomed, doomed_schedules, doomed_hook)
    assert_kept(api, world, kept_schedules, kept_hook)
    assert_kept(api, other, foreign_schedules, foreign_hook)
    assert {item["workflow_id"] for item in schedules(api, world)} == {kept}
    # Nothing fires for the deleted workflow any more.
    clock = Clock(datetime.now(UTC))
    scheduler = local_scheduler(emulated_aws, clock)
    scheduler.tick()
    clock.run(scheduler, clock.now + timedelta(minutes=30), step=timedelta(minutes=5))
    assert doomed not in {item["workflow_id"] for item in scheduled_executions(api, world)}
    assert {item["workflow_id"] for item in scheduled_executions(api, world)} == {kept}


def test_a_delete_refused_for_running_executions_keeps_the_triggers_and_a_forced_one_removes_them(api, world) -> None:
    waiting = {
        "name": "waiting",
        "nodes": [node("start", "schedule", expression="rate(1 hour)"), node("pause", "wait", seconds=3600)],
        "edges": chain("start", "pause"),
    }
    workflow_id, schedule_ids, hook_id = triggered_workflow(api, world, waiting)
    started = api.post(f"/v1/workflows/{workflow_id}/executions", headers=world.headers[Role.EDITOR], json={})
    assert started.status_code == 202, started.text
    path = f"/v1/workflows/{workflow_id}"

    refused = api.delete(path, headers=world.headers[Role.ADMIN])

    assert refused.status_code == 409, refused.text
    assert_kept(api, world, schedule_ids, hook_id)
    assert api.delete(path, headers=world.headers[Role.ADMIN], params={"force": "true"}).status_code == 204
    assert_gone(api, world, workflow_id, schedule_ids, hook_id)


def test_a_delete_that_fails_halfway_finishes_when_retried(api, world, monkeypatch: pytest.MonkeyPatch) -> None:
    workflow_id, schedule_ids, hook_id = triggered_workflow(api, world, ticking("rate(5 minutes)"))
    path = f"/v1/workflows/{workflow_id}"

    # Scheduler fails first: nothing is gone that a retry could not find again.
    with scheduler_calls("DeleteSchedule", refuse_with="ThrottlingException"):
        failed = api.delete(path, headers=world.headers[Role.ADMIN])
    assert failed.status_code == 503, failed.text
    assert api.get(path, headers=world.headers[Role.VIEWER]).status_code == 200

    # Then a failure after the triggers and the state machine are gone, while the versions are deleted.
    real_delete = WorkflowVersions.delete

    def failing_delete(self: WorkflowVersions, item: Any) -> None:
        raise RuntimeError("injected: DynamoDB went away")

    monkeypatch.setattr(WorkflowVersions, "delete", failing_delete)
    assert api.delete(path, headers=world.headers[Role.ADMIN]).status_code == 500
    monkeypatch.setattr(WorkflowVersions, "delete", real_delete)
    assert api.get(path, headers=world.headers[Role.VIEWER]).status_code == 200

    retried = api.delete(path, headers=world.headers[Role.ADMIN])

    assert retried.status_code == 204, retried.text
    assert_gone(api, world, workflow_id, schedule_ids, hook_id)
