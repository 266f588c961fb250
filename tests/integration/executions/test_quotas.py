"""Quotas at start: the monthly unit shared with the tenancy feature (starts counted from the executions table's
stream), and a workflow's own max_concurrency."""

from __future__ import annotations

from datetime import UTC, datetime

from shared.auth.principal import Role
from shared.store.executions import RunningExecutions
from shared.store.tenancy import Usage
from shared.store.tenant_scoped import TenantContext
from shared.tenancy.quotas import consume_monthly_execution, month_key
from shared.tenancy.tiers import Tier
from tests.helpers import wait_until
from tests.integration.executions.support import (
    create_and_publish,
    deliver_executions_stream,
    transform_workflow,
    waiting_workflow,
)
from tests.integration.tenancy.conftest import TenantWorld


def start(api, world: TenantWorld, workflow_id: str):
    return api.post(f"/v1/workflows/{workflow_id}/executions", headers=world.headers[Role.EDITOR], json={"input": {}})


def workflow_running(world: TenantWorld, workflow_id: str) -> int:
    counter = RunningExecutions(TenantContext(world.tenant_id)).get(f"WORKFLOW#{workflow_id}", consistent=True)
    return int(counter.running) if counter else 0


def monthly_count(world: TenantWorld, executions_stream) -> int:
    deliver_executions_stream(executions_stream)
    usage = Usage(TenantContext(world.tenant_id)).get(month_key(datetime.now(UTC)), consistent=True)
    return int(usage.executions) if usage else 0


def test_starts_and_the_tenancy_helper_count_the_same_monthly_units(api, alpha, executions_stream) -> None:
    greet = create_and_publish(api, alpha.headers[Role.OWNER], transform_workflow("$states.input"))

    assert start(api, alpha, greet).status_code == 202
    deliver_executions_stream(executions_stream)
    assert consume_monthly_execution(TenantContext(alpha.tenant_id), Tier.BASIC) == 2
    assert start(api, alpha, greet).status_code == 202

    assert monthly_count(alpha, executions_stream) == 3


def test_a_start_beyond_the_workflows_max_concurrency_is_a_429_naming_it(api, alpha, executions_stream) -> None:
    owner = alpha.headers[Role.OWNER]
    limited = create_and_publish(api, owner, waiting_workflow(60, max_concurrency=2))
    unlimited = create_and_publish(api, owner, waiting_workflow(60))
    assert [start(api, alpha, limited).status_code for _ in range(2)] == [202, 202]

    refused = start(api, alpha, limited)

    assert refused.status_code == 429, refused.text
    problem = refused.json()
    assert problem["quota"] == "workflow_max_concurrency" and problem["limit"] == 2 and limited in problem["detail"]
    # The refused start spent nothing: no record, no monthly unit, no slot; other workflows still start.
    assert monthly_count(alpha, executions_stream) == 2 and workflow_running(alpha, limited) == 2
    assert start(api, alpha, unlimited).status_code == 202
    assert workflow_running(alpha, unlimited) == 0


def test_the_workflows_slot_is_released_when_an_execution_ends(api, alpha, status_watcher) -> None:
    limited = create_and_publish(api, alpha.headers[Role.OWNER], waiting_workflow(60, max_concurrency=1))
    first = start(api, alpha, limited)
    assert first.status_code == 202 and start(api, alpha, limited).status_code == 429

    editor = alpha.headers[Role.EDITOR]
    assert api.post(f"/v1/executions/{first.json()['execution_id']}/cancel", headers=editor).status_code == 202
    assert wait_until(lambda: workflow_running(alpha, limited), lambda running: running == 0) == 0

    assert start(api, alpha, limited).status_code == 202
    assert workflow_running(alpha, limited) == 1
