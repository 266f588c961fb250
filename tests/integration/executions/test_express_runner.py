"""Express runs started without a wait are run synchronously by the express runner (execution_events, invoked
asynchronously): their records end with their outputs although their machines log no success and no status watcher
runs here; a redelivered hand-over starts nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from fastapi.testclient import TestClient

from devserver.emulation import LOCAL_REGION
from functions.execution_events.handler import handler
from shared.auth.principal import Role
from shared.executions import express as synchronous_runs
from shared.executions import runner
from shared.executions.naming import ExecutionName
from shared.executions.record import find_execution
from shared.store.tenant_scoped import TenantContext
from shared.workflows.state_machines import placement
from tests.helpers import wait_until
from tests.integration.executions.support import (
    Clock,
    create_and_publish,
    execution_events_context,
    failing_workflow,
    local_scheduler,
    scheduled_executions,
    transform_workflow,
)
from tests.integration.executions.test_express_logs import start
from tests.integration.executions.test_quotas import workflow_running
from tests.integration.executions.test_status_updates import running_count
from tests.integration.tenancy.conftest import TenantWorld

CONTEXT = execution_events_context(360)


def ended(api: TestClient, world: TenantWorld, execution_id: str) -> dict[str, Any]:
    found: dict[str, Any] = wait_until(
        lambda: api.get(f"/v1/executions/{execution_id}", headers=world.headers[Role.VIEWER]).json(),
        lambda record: record["status"] != "RUNNING",
    )
    return found


def emulated_runs(workflow_id: str) -> int:
    """How many executions Step Functions ran of the workflow's machine (its versions included)."""
    from moto.stepfunctions.responses import get_backend

    from devserver.emulation import LOCAL_ACCOUNT

    machine = placement().state_machine_name(workflow_id)
    backend = get_backend(LOCAL_ACCOUNT, LOCAL_REGION)
    return sum(len(each.executions) for each in list(backend.state_machines) if each.arn.split(":")[6] == machine)


def test_an_express_run_started_without_wait_ends_with_its_output_run_by_the_runner(api, alpha) -> None:
    express = create_and_publish(
        api,
        alpha.headers[Role.OWNER],
        transform_workflow("{'hello': $states.input.name}", mode="express", max_concurrency=1),
    )

    execution_id = start(api, alpha, express, {"name": "Ada"})

    record = ended(api, alpha, execution_id)
    assert record["status"] == "SUCCEEDED" and record["output"] == {"hello": "Ada"}
    assert running_count(alpha) == 0 and workflow_running(alpha, express) == 0
    item = find_execution(TenantContext(alpha.tenant_id), execution_id, consistent=True)
    assert [transition.status for transition in item.transitions] == ["RUNNING", "SUCCEEDED"]
    assert item.runner_started_at is not None and emulated_runs(express) == 1


def test_a_redelivered_hand_over_does_not_run_the_execution_again(api, alpha, monkeypatch) -> None:
    express = create_and_publish(api, alpha.headers[Role.OWNER], transform_workflow("$states.input", mode="express"))
    handed: list[dict[str, Any]] = []
    monkeypatch.setattr(
        runner,
        "invoke_asynchronously",
        lambda function_arn, event: handed.append({"function": function_arn, "event": event}),
    )
    execution_id = start(api, alpha, express, {"a": 1})
    (hand_over,) = handed
    assert hand_over["function"].endswith(":function:nexus-forge-local-execution-events:live")

    first = handler(hand_over["event"], CONTEXT)
    # Lambda retries an asynchronous invocation, and may deliver it more than once.
    second = handler(hand_over["event"], CONTEXT)

    assert first == {"ran": True, "status": "SUCCEEDED"}
    assert second["ran"] is False
    record = find_execution(TenantContext(alpha.tenant_id), execution_id, consistent=True)
    assert record.status == "SUCCEEDED" and record.output == {"a": 1} and record.revision == 2
    assert emulated_runs(express) == 1 and running_count(alpha) == 0


def test_a_retry_after_the_runner_died_does_not_start_the_run_it_took(api, alpha, monkeypatch) -> None:
    express = create_and_publish(api, alpha.headers[Role.OWNER], transform_workflow("$states.input", mode="express"))
    handed: list[dict[str, Any]] = []
    monkeypatch.setattr(runner, "invoke_asynchronously", lambda function_arn, event: handed.append(event))
    execution_id = start(api, alpha, express, {"a": 1})
    (event,) = handed
    start_sync = synchronous_runs.run_synchronously

    def died(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the runner's container ended before it could tell whether its run started")

    monkeypatch.setattr(synchronous_runs, "run_synchronously", died)
    with pytest.raises(RuntimeError):
        handler(event, CONTEXT)
    monkeypatch.setattr(synchronous_runs, "run_synchronously", start_sync)

    retried = handler(event, CONTEXT)

    # At most once: the run may have started, so the retry starts nothing; reconciliation settles the record.
    assert retried["ran"] is False and emulated_runs(express) == 0
    assert find_execution(TenantContext(alpha.tenant_id), execution_id, consistent=True).status == "RUNNING"


def test_a_hand_over_of_a_record_that_already_ended_starts_nothing(api, alpha, monkeypatch) -> None:
    express = create_and_publish(api, alpha.headers[Role.OWNER], transform_workflow("$states.input", mode="express"))
    execution_id = start(api, alpha, express, {})
    ended(api, alpha, execution_id)
    name = ExecutionName(alpha.tenant_id, execution_id)

    late = handler({runner.EXPRESS_RUN: {"name": str(name), "version_arn": "unused"}}, CONTEXT)

    assert late["ran"] is False and emulated_runs(express) == 1


def test_an_express_failure_started_without_wait_starts_its_express_error_workflow(api, alpha) -> None:
    owner = alpha.headers[Role.OWNER]
    on_error = create_and_publish(
        api, owner, transform_workflow("{'failed': $states.input.execution.id}", mode="express")
    )
    failing = create_and_publish(api, owner, failing_workflow(mode="express", error_workflow_id=on_error))

    execution_id = start(api, alpha, failing, {"x": 1})

    failed = ended(api, alpha, execution_id)
    assert (failed["status"], failed["error"]) == ("FAILED", "Boom")

    def error_runs() -> list[dict[str, Any]]:
        page = api.get("/v1/executions", params={"trigger": "error_workflow"}, headers=alpha.headers[Role.VIEWER])
        items: list[dict[str, Any]] = page.json()["items"]
        return items

    (error_run,) = wait_until(error_runs, lambda items: len(items) == 1)
    assert error_run["source"] == execution_id
    assert ended(api, alpha, error_run["execution_id"])["status"] == "SUCCEEDED"
    assert running_count(alpha) == 0


@pytest.fixture
def schedules_world(api: TestClient, issuer, admin_headers) -> TenantWorld:
    from tests.integration.tenancy.conftest import make_tenant

    return make_tenant(api, issuer, admin_headers, "runner")


def test_a_scheduled_express_workflow_ends_with_its_output(api, schedules_world, emulated_aws) -> None:
    world = schedules_world
    express = create_and_publish(
        api,
        world.headers[Role.OWNER],
        transform_workflow("{'slot': $states.input.schedule.scheduled_time}", mode="express"),
    )
    clock = Clock(datetime.now(UTC))
    scheduler = local_scheduler(emulated_aws, clock)
    created = api.post(
        "/v1/schedules",
        headers=world.headers[Role.EDITOR],
        json={"name": "often", "workflow_id": express, "expression": "rate(5 minutes)"},
    )
    assert created.status_code == 201, created.text
    scheduler.tick()

    assert clock.run(scheduler, clock.now + timedelta(minutes=5), step=timedelta(minutes=1)) == 1

    (fired,) = scheduled_executions(api, world)
    record = ended(api, world, fired["execution_id"])
    assert record["status"] == "SUCCEEDED" and set(record["output"]) == {"slot"}
    assert emulated_runs(express) == 1


def test_a_hand_over_lambda_refuses_fails_the_start_and_frees_its_slots(api, alpha, monkeypatch) -> None:
    express = create_and_publish(
        api, alpha.headers[Role.OWNER], transform_workflow("$states.input", mode="express", max_concurrency=1)
    )

    def throttled(function_arn: str, event: dict[str, Any]) -> None:
        error = {"Error": {"Code": "TooManyRequestsException", "Message": "Rate Exceeded."}}
        raise ClientError(error, "Invoke")  # type: ignore[arg-type]

    monkeypatch.setattr(runner, "invoke_asynchronously", throttled)

    refused = api.post(f"/v1/workflows/{express}/executions", headers=alpha.headers[Role.EDITOR], json={"input": {}})

    assert refused.status_code == 503, refused.text
    assert "Lambda (the express runner) refused to start the execution: Rate Exceeded." in refused.json()["detail"]
    (failed,) = api.get("/v1/executions", headers=alpha.headers[Role.VIEWER]).json()["items"]
    assert (failed["status"], failed["error"]) == ("FAILED", "States.StartFailed")
    assert running_count(alpha) == 0 and workflow_running(alpha, express) == 0
