"""Workflows for the execution tests, created and published through the workflows API; the schedules' helpers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, cast

import boto3
from aws_lambda_powertools.utilities.typing import LambdaContext
from fastapi.testclient import TestClient

from devserver.emulation import LOCAL_PREFIX, LOCAL_REGION
from devserver.lambda_runtime import LocalLambdaContext, LocalLambdaRuntime
from devserver.scheduler import LocalScheduler
from devserver.table_stream_poller import TableStreamPoller
from shared.auth.principal import Role
from shared.resources import SCHEDULE_GROUPS
from tests.integration.tenancy.conftest import TenantWorld
from tests.workflows.cases import chain, node


def execution_events_context(timeout_seconds: int = 30) -> LambdaContext:
    """The context forge dev calls the execution_events function's handler with (its attributes are Lambda's)."""
    context = LocalLambdaContext(
        "nexus-forge-local-execution-events", "arn:aws:lambda:::function:x", 256, timeout_seconds
    )
    return cast("LambdaContext", context)


def transform_workflow(expression: str, **settings: Any) -> dict[str, Any]:
    return {
        "name": "transform",
        "nodes": [node("start", "manual"), node("shape", "transform", expression=expression)],
        "edges": chain("start", "shape"),
        "settings": settings,
    }


def failing_workflow(**settings: Any) -> dict[str, Any]:
    return {
        "name": "failing",
        "nodes": [
            node("start", "manual"),
            node("prepare", "transform", expression="$states.input"),
            node("explode", "fail", error="Boom", cause="the explode node always fails"),
        ],
        "edges": chain("start", "prepare", "explode"),
        "settings": settings,
    }


def waiting_workflow(seconds: int, **settings: Any) -> dict[str, Any]:
    return {
        "name": "waiting",
        "nodes": [node("start", "manual"), node("pause", "wait", seconds=seconds)],
        "edges": chain("start", "pause"),
        "settings": settings,
    }


def create_and_publish(api: TestClient, headers: dict[str, str], document: dict[str, Any]) -> str:
    created = api.post("/v1/workflows", headers=headers, json=document)
    assert created.status_code == 201, created.text
    workflow_id: str = created.json()["id"]
    publish(api, headers, workflow_id)
    return workflow_id


def publish(api: TestClient, headers: dict[str, str], workflow_id: str, document: dict[str, Any] | None = None) -> int:
    """Publishes the draft (replaced by `document` first, if given); returns the new live version."""
    if document is not None:
        revision = api.get(f"/v1/workflows/{workflow_id}", headers=headers).json()["revision"]
        updated = api.put(f"/v1/workflows/{workflow_id}", headers={**headers, "if-match": str(revision)}, json=document)
        assert updated.status_code == 200, updated.text
    published = api.post(f"/v1/workflows/{workflow_id}/publish", headers=headers, json={})
    assert published.status_code == 201, published.text
    version: int = published.json()["version"]
    return version


class Clock:
    """The local scheduler's now, moved by the test."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def run(self, scheduler: LocalScheduler, until: datetime, step: timedelta) -> int:
        fired = 0
        while self.now < until:
            self.now = min(self.now + step, until)
            fired += scheduler.tick()
        return fired


def local_scheduler(runtime: LocalLambdaRuntime, clock: Callable[[], datetime]) -> LocalScheduler:
    return LocalScheduler(runtime, LOCAL_PREFIX, clock=clock)


def scheduled_executions(api: TestClient, world: TenantWorld) -> list[dict[str, Any]]:
    page = api.get("/v1/executions", params={"trigger": "schedule", "limit": 200}, headers=world.headers[Role.VIEWER])
    assert page.status_code == 200, page.text
    items: list[dict[str, Any]] = page.json()["items"]
    return items


def scheduler_schedule(world: TenantWorld, schedule_id: str) -> dict[str, Any]:
    """The schedule as the emulation's EventBridge Scheduler holds it (ResourceNotFoundException when absent)."""
    client = boto3.client("scheduler", region_name=LOCAL_REGION)
    group = f"{SCHEDULE_GROUPS.physical_name(LOCAL_PREFIX)}-{world.tenant_id}"
    described: dict[str, Any] = client.get_schedule(Name=schedule_id, GroupName=group)
    return described


def deliver_executions_stream(executions_stream: TableStreamPoller) -> None:
    """Delivers every waiting record of the executions table's stream to execution_usage, which counts the starts and
    observes the ends."""
    while executions_stream.poll_once():
        pass
