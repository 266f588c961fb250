"""A start right after an observed end finds the ended execution's running slots free: the end and the slots given
back are one write. The observer is a client that reads the execution after every DynamoDB write the status path
makes (on the test's thread) and starts the workflow again the moment it reads the end; the workflow allows one
running execution, so a slot given back by a second write after the end is a 429."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from fastapi.testclient import TestClient
from pynamodb.connection.base import Connection

from devserver.emulation import LOCAL_ACCOUNT, LOCAL_REGION
from devserver.execution_watcher import status_change_event
from functions.execution_events.handler import handler
from shared.auth.principal import Role
from shared.executions.error_workflows import start_error_workflow
from shared.executions.record import find_execution
from shared.store.tenant_scoped import TenantContext
from shared.triggers.webhooks import receive_delivery
from tests.helpers import wait_until
from tests.integration.executions.support import create_and_publish, execution_events_context, transform_workflow
from tests.integration.executions.test_quotas import workflow_running
from tests.integration.executions.test_status_updates import running_count
from tests.integration.executions.test_webhooks import signed_headers
from tests.integration.tenancy.conftest import TenantWorld

CONTEXT = execution_events_context()
_WRITES = {"UpdateItem", "PutItem", "TransactWriteItems"}


class StartOnSeenEnd:
    """After each DynamoDB write on this thread, reads the workflow's executions as a client would; the first time
    one reads ended, starts the workflow again and keeps the answer's status code."""

    def __init__(self, api: TestClient, world: TenantWorld, workflow_id: str) -> None:
        self.api, self.world, self.workflow_id = api, world, workflow_id
        self.thread = threading.get_ident()
        self.answers: list[int] = []
        self._observing = False

    def after(self, operation: str) -> None:
        if self.answers or self._observing or operation not in _WRITES or threading.get_ident() != self.thread:
            return
        self._observing = True
        try:
            viewer = self.world.headers[Role.VIEWER]
            listed = self.api.get("/v1/executions", params={"workflow_id": self.workflow_id}, headers=viewer).json()
            if any(item["status"] != "RUNNING" for item in listed["items"]):
                started = self.api.post(
                    f"/v1/workflows/{self.workflow_id}/executions",
                    headers=self.world.headers[Role.EDITOR],
                    json={"input": {}},
                )
                self.answers.append(started.status_code)
        finally:
            self._observing = False


@pytest.fixture
def observe(monkeypatch: pytest.MonkeyPatch) -> Callable[[StartOnSeenEnd], None]:
    def install(observer: StartOnSeenEnd) -> None:
        make_call = Connection._make_api_call

        def observing(self: Connection, operation: str, kwargs: dict[str, Any]) -> dict[str, Any]:
            answer: dict[str, Any] = make_call(self, operation, kwargs)
            observer.after(operation)
            return answer

        monkeypatch.setattr(Connection, "_make_api_call", observing)

    return install


def test_a_start_right_after_a_status_events_end_is_accepted(api, alpha, observe) -> None:
    workflow_id = create_and_publish(
        api, alpha.headers[Role.OWNER], transform_workflow("$states.input", max_concurrency=1)
    )
    started = api.post(f"/v1/workflows/{workflow_id}/executions", headers=alpha.headers[Role.EDITOR], json={})
    assert started.status_code == 202, started.text
    arn = find_execution(TenantContext(alpha.tenant_id), started.json()["execution_id"], consistent=True).execution_arn
    sfn = boto3.client("stepfunctions", region_name=LOCAL_REGION)
    described = wait_until(
        lambda: dict(sfn.describe_execution(executionArn=arn)),
        lambda found: found["status"] != "RUNNING",
    )
    observer = StartOnSeenEnd(api, alpha, workflow_id)
    observe(observer)

    handler(status_change_event(described, LOCAL_ACCOUNT, LOCAL_REGION), CONTEXT)

    assert observer.answers == [202]
    assert workflow_running(alpha, workflow_id) == 1 and running_count(alpha) == 1


def test_a_start_right_after_a_sync_deliverys_end_is_accepted(api, alpha, observe) -> None:
    workflow_id = create_and_publish(
        api,
        alpha.headers[Role.OWNER],
        transform_workflow("{'echo': $states.input.body}", mode="express", max_concurrency=1),
    )
    hook = api.post(
        "/v1/hooks",
        headers=alpha.headers[Role.EDITOR],
        json={"workflow_id": workflow_id, "name": "race", "response_mode": "sync"},
    ).json()
    body = json.dumps({"n": 1}).encode()
    observer = StartOnSeenEnd(api, alpha, workflow_id)
    observe(observer)

    _, ended, _ = receive_delivery(
        hook["hook_id"], signed_headers(hook["secret"], body), body, after_end=start_error_workflow
    )

    assert ended.status == "SUCCEEDED" and ended.output == {"echo": {"n": 1}}
    assert observer.answers == [202]
