"""The status path's cost with measured performance: an opted-in tenant's end of an installed template's execution
adds to the item's counters in the end's own transaction (two round trips, as before: the end written without a read
is refused, since its record names items to measure, and returns the record, from which the end is written with the
item's counters), and a tenant that did not opt in writes nothing for the item, its end one transaction."""

from __future__ import annotations

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
from shared.executions.record import find_execution
from shared.store.marketplace import item_performance_records
from shared.store.tenant_scoped import TenantContext
from shared.workflows.service import TenantWorkflows
from tests.helpers import wait_until
from tests.integration.executions.support import execution_events_context, publish, transform_workflow
from tests.integration.tenancy.conftest import TenantWorld

CONTEXT = execution_events_context()


@pytest.fixture
def dynamodb_calls(monkeypatch: pytest.MonkeyPatch) -> Callable[[], list[str]]:
    """Starts counting DynamoDB operations when called; returns the list that fills."""

    def start() -> list[str]:
        calls: list[str] = []
        make_call = Connection._make_api_call

        def counting(self: Connection, operation: str, kwargs: dict[str, Any]) -> dict[str, Any]:
            calls.append(operation)
            answer: dict[str, Any] = make_call(self, operation, kwargs)
            return answer

        monkeypatch.setattr(Connection, "_make_api_call", counting)
        return calls

    return start


def _end_of_an_installed_templates_run(
    api: TestClient, world: TenantWorld, calls: Callable[[], list[str]]
) -> list[str]:
    """Runs a workflow installed from acme/greeting, delivers its end to the status path: its DynamoDB calls."""
    workflow = TenantWorkflows(TenantContext(world.tenant_id), "installer").create(
        transform_workflow("$states.input"), marketplace_item="acme/greeting", marketplace_version="1.0.0"
    )
    publish(api, world.headers[Role.OWNER], workflow.id)
    started = api.post(f"/v1/workflows/{workflow.id}/executions", headers=world.headers[Role.EDITOR], json={})
    assert started.status_code == 202, started.text
    arn = find_execution(TenantContext(world.tenant_id), started.json()["execution_id"], consistent=True).execution_arn
    sfn = boto3.client("stepfunctions", region_name=LOCAL_REGION)
    described = wait_until(
        lambda: dict(sfn.describe_execution(executionArn=arn)), lambda found: found["status"] != "RUNNING"
    )
    counted = calls()
    handler(status_change_event(described, LOCAL_ACCOUNT, LOCAL_REGION), CONTEXT)
    return [call for call in counted if call != "DescribeTable"]


def test_an_opted_in_tenants_end_counts_for_the_item_in_the_ends_own_transaction(
    api: TestClient, alpha: TenantWorld, bravo: TenantWorld, dynamodb_calls: Callable[[], list[str]]
) -> None:
    opted_in = api.patch(
        f"/v1/tenants/{alpha.tenant_id}",
        headers=alpha.headers[Role.OWNER],
        json={"settings": {"share_marketplace_performance": True}},
    )
    assert opted_in.is_success, opted_in.text

    shared_end = _end_of_an_installed_templates_run(api, alpha, dynamodb_calls)
    counted_after_alpha = item_performance_records("acme", "greeting")
    private_end = _end_of_an_installed_templates_run(api, bravo, dynamodb_calls)

    assert shared_end == ["TransactWriteItems", "TransactWriteItems"], shared_end
    assert private_end == ["TransactWriteItems"], private_end
    assert [(record["executions"], record["successes"]) for record in counted_after_alpha] == [(1, 1)]
    assert item_performance_records("acme", "greeting") == counted_after_alpha
