"""Records that say RUNNING after their executions ended or were lost are settled against Step Functions' status
(the execution_reconcile function): the record ends, the running slot is free, a pending approval is withdrawn.

No status watcher runs here, so every status event is lost, as an event can be in the cloud."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aws_lambda_powertools import Logger

from devserver.emulation import LOCAL_ACCOUNT, LOCAL_PREFIX, LOCAL_REGION
from devserver.lambda_runtime import LocalLambdaRuntime
from devserver.scheduler import CatalogRuleScheduler
from shared.approvals.model import ApprovalStatus
from shared.auth.principal import Role
from shared.aws import stepfunctions
from shared.catalog import CATALOG
from shared.executions import runner
from shared.executions.record import apply_status_change
from shared.executions.start import StartRequest, start_execution
from shared.executions.statuses import Trigger
from shared.operations.execution_reconcile import (
    DEFAULT_RUNNING_LONGER_THAN,
    EXPRESS_LOST_CAUSE,
    EXPRESS_RUN_LIMIT,
    LOST_CAUSE,
    LOST_ERROR,
    reconcile_running_executions,
)
from shared.store.approvals import Approvals
from shared.store.executions import Executions, RunningExecutions, running_records_started_before
from shared.store.tenant_scoped import TenantContext
from shared.tenancy.tiers import tier_limits
from tests.helpers import wait_until, within_rate_limit
from tests.integration.executions.support import Clock, create_and_publish, transform_workflow, waiting_workflow
from tests.integration.tenancy.conftest import TenantWorld

RECONCILE = f"{LOCAL_PREFIX}-execution-reconcile"


def start(api: Any, world: TenantWorld, workflow_id: str) -> Any:
    return within_rate_limit(
        lambda: api.post(
            f"/v1/workflows/{workflow_id}/executions", headers=world.headers[Role.EDITOR], json={"input": {}}
        )
    )


def record(api: Any, world: TenantWorld, execution_id: str) -> dict[str, Any]:
    read = within_rate_limit(lambda: api.get(f"/v1/executions/{execution_id}", headers=world.headers[Role.VIEWER]))
    assert read.status_code == 200, read.text
    found: dict[str, Any] = read.json()
    return found


def reconcile(runtime: LocalLambdaRuntime, event: dict[str, Any]) -> dict[str, Any]:
    result = runtime.invoke(RECONCILE, json.dumps(event).encode())
    answer: dict[str, Any] = json.loads(result["Payload"].read())
    assert not result.get("FunctionError"), answer
    return answer


def lose_running_executions() -> None:
    """What a restart of forge dev does to its executions: Step Functions no longer knows any of them."""
    from moto.stepfunctions.responses import get_backend

    backend: Any = get_backend(LOCAL_ACCOUNT, LOCAL_REGION)
    for machine in backend.state_machines:
        for execution in list(machine.executions):
            if execution.exec_status.value == "RUNNING":
                backend.stop_execution(execution.exec_arn)
        machine.executions.clear()


def test_an_execution_whose_end_was_not_reported_ends_as_step_functions_reports_it(
    api, alpha, emulated_aws: LocalLambdaRuntime
) -> None:
    greet = create_and_publish(api, alpha.headers[Role.OWNER], transform_workflow("{'hello': 'world'}"))
    execution_id = start(api, alpha, greet).json()["execution_id"]
    wait_until(lambda: _moto_status(execution_id), lambda status: status == "SUCCEEDED")
    assert record(api, alpha, execution_id)["status"] == "RUNNING"

    # The schedule's event: records running for longer than the default bound only.
    assert reconcile(emulated_aws, {"detail-type": "Scheduled Event"})["settled"] == {}
    answer = reconcile(emulated_aws, {"running_longer_than_seconds": 0})

    assert answer["settled"] == {execution_id: "SUCCEEDED"}
    settled = record(api, alpha, execution_id)
    assert settled["status"] == "SUCCEEDED" and settled["output"] == {"hello": "world"}


def test_lost_executions_end_aborted_free_their_slots_and_withdraw_their_approvals(
    api, alpha, emulated_aws: LocalLambdaRuntime
) -> None:
    waiting = create_and_publish(api, alpha.headers[Role.OWNER], waiting_workflow(600))
    limit = tier_limits("basic").concurrent_executions
    lost = [start(api, alpha, waiting).json()["execution_id"] for _ in range(limit)]
    approval = _pending_approval(alpha, lost[0])
    lose_running_executions()
    assert start(api, alpha, waiting).status_code == 429

    answer = reconcile(emulated_aws, {"running_longer_than_seconds": 0, "lost_cause": "the emulation restarted"})

    assert answer["settled"] == dict.fromkeys(lost, "ABORTED")
    for execution_id in lost:
        ended = record(api, alpha, execution_id)
        assert (ended["status"], ended["error"], ended["cause"]) == ("ABORTED", LOST_ERROR, "the emulation restarted")
    assert approval.status == ApprovalStatus.PENDING.value
    approval.refresh(consistent_read=True)
    assert approval.status == ApprovalStatus.WITHDRAWN.value
    assert start(api, alpha, waiting).status_code == 202


def test_running_executions_and_young_records_are_left_alone(api, alpha, emulated_aws: LocalLambdaRuntime) -> None:
    waiting = create_and_publish(api, alpha.headers[Role.OWNER], waiting_workflow(600))
    running = start(api, alpha, waiting).json()["execution_id"]

    assert reconcile(emulated_aws, {"running_longer_than_seconds": 0})["settled"] == {}
    lose_running_executions()
    assert reconcile(emulated_aws, {})["settled"] == {}  # younger than the default bound: maybe still starting

    assert record(api, alpha, running)["status"] == "RUNNING"
    answer = reconcile(emulated_aws, {"running_longer_than_seconds": 0})
    assert answer["settled"] == {running: "ABORTED"}
    assert record(api, alpha, running)["cause"] == LOST_CAUSE


class StarterDied(BaseException):
    """The process that started an execution stopped right after the start's transaction (its Lambda timed out or its
    container went away), before Step Functions heard of the run: a standard run was never started, an express run
    never handed to the express runner."""


def _die(*args: Any, **kwargs: Any) -> Any:
    raise StarterDied


def start_whose_starter_dies(world: TenantWorld, workflow_id: str, *, at: datetime) -> str:
    """The execution id of a start that recorded its RUNNING record and took its slot, then died (at `at`)."""
    tenant = TenantContext(world.tenant_id)
    before = {str(item.execution_id) for item in Executions(tenant).all_matching(Executions.model.pk.exists())}
    with pytest.MonkeyPatch.context() as patch, pytest.raises(StarterDied):
        patch.setattr(stepfunctions, "start_execution", _die)
        patch.setattr(stepfunctions, "start_sync_execution", _die)
        patch.setattr(runner, "hand_to_runner", _die)
        start_execution(tenant, StartRequest(workflow_id, {}, Trigger.MANUAL), now=at)
    (started,) = {
        str(item.execution_id) for item in Executions(tenant).all_matching(Executions.model.pk.exists())
    } - before
    return started


def running_slots(world: TenantWorld) -> int:
    counter = RunningExecutions(TenantContext(world.tenant_id)).counter()
    counter.refresh(consistent_read=True)
    return int(counter.running)


def test_an_express_run_whose_starter_died_ends_aborted_past_the_bound_and_gives_its_slot_back(
    api, alpha, emulated_aws: LocalLambdaRuntime
) -> None:
    quick = create_and_publish(api, alpha.headers[Role.OWNER], transform_workflow("{'ok': true}", mode="express"))
    began = datetime.now(UTC)
    limit = tier_limits("basic").concurrent_executions
    lost = [start_whose_starter_dies(alpha, quick, at=began) for _ in range(limit - 1)]
    # Started a run's length later: it may still be running when the others are past the bound.
    younger = start_whose_starter_dies(alpha, quick, at=began + EXPRESS_RUN_LIMIT)
    assert start(api, alpha, quick).status_code == 429

    answer = reconcile_running_executions(Logger(), now=began + DEFAULT_RUNNING_LONGER_THAN + timedelta(seconds=1))

    assert answer.settled == dict.fromkeys(lost, "ABORTED")
    for execution_id in lost:
        ended = record(api, alpha, execution_id)
        assert (ended["status"], ended["error"], ended["cause"]) == ("ABORTED", LOST_ERROR, EXPRESS_LOST_CAUSE)
    assert record(api, alpha, younger)["status"] == "RUNNING"
    assert running_slots(alpha) == 1
    assert start(api, alpha, quick).status_code == 202


def test_an_express_record_ended_while_the_sweep_looked_is_left_as_it_ended(
    api, alpha, emulated_aws: LocalLambdaRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    quick = create_and_publish(api, alpha.headers[Role.OWNER], transform_workflow("{'ok': true}", mode="express"))
    began = datetime.now(UTC)
    execution_id = start_whose_starter_dies(alpha, quick, at=began)
    name = f"{alpha.tenant_id}_{execution_id}"
    query = Executions.express_with_status

    def found_then_ended(self: Executions, *args: Any, **kwargs: Any) -> Any:
        found = query(self, *args, **kwargs)
        # Its end arrives (its failure's log, say) between the sweep's Query and its update.
        ended = {"name": name, "status": "FAILED", "stopDate": int(began.timestamp() * 1000), "error": "Boom"}
        assert apply_status_change(ended, history=False) is not None
        return found

    monkeypatch.setattr(Executions, "express_with_status", found_then_ended)
    answer = reconcile_running_executions(Logger(), now=began + DEFAULT_RUNNING_LONGER_THAN)

    assert answer.looked_at == 1 and answer.settled == {}
    assert (record(api, alpha, execution_id)["status"], record(api, alpha, execution_id)["error"]) == ("FAILED", "Boom")
    assert running_slots(alpha) == 0


def test_a_sweep_out_of_time_leaves_its_window_to_the_next_pass(api, alpha, bravo, emulated_aws) -> None:
    began = datetime.now(UTC)
    lost = {}
    for world in (alpha, bravo):
        quick = create_and_publish(api, world.headers[Role.OWNER], transform_workflow("{'ok': 1}", mode="express"))
        lost[world.tenant_id] = start_whose_starter_dies(world, quick, at=began)

    def ended() -> int:
        records = [Executions(TenantContext(tenant)).get(execution_id) for tenant, execution_id in lost.items()]
        return sum(item is not None and item.status != "RUNNING" for item in records)

    bound = began + DEFAULT_RUNNING_LONGER_THAN
    stopped = reconcile_running_executions(Logger(), now=bound, time_left=lambda: 0 if ended() else 300)
    # The next pass, a schedule's interval later: its window still begins where the last finished one ended.
    later = reconcile_running_executions(Logger(), now=bound + timedelta(minutes=15))

    assert not stopped.finished and len(stopped.settled) == 1
    assert later.finished and {**stopped.settled, **later.settled} == dict.fromkeys(lost.values(), "ABORTED")


def test_the_running_index_holds_standard_records_and_no_express_one(
    api, alpha, emulated_aws: LocalLambdaRuntime
) -> None:
    owner = alpha.headers[Role.OWNER]
    standard = create_and_publish(api, owner, waiting_workflow(600))
    express = create_and_publish(api, owner, transform_workflow("{'ok': true}", mode="express"))
    now = datetime.now(UTC)
    standard_running = start_whose_starter_dies(alpha, standard, at=now)
    express_running = start_whose_starter_dies(alpha, express, at=now)

    indexed = [str(item.execution_id) for item in running_records_started_before(now + timedelta(seconds=1))]

    assert indexed == [standard_running]
    assert record(api, alpha, express_running)["status"] == "RUNNING"


def _moto_status(execution_id: str) -> str | None:
    from moto.stepfunctions.responses import get_backend

    backend: Any = get_backend(LOCAL_ACCOUNT, LOCAL_REGION)
    for machine in backend.state_machines:
        for execution in machine.executions:
            if execution.exec_arn.endswith(execution_id):
                return str(execution.exec_status.value)
    return None


def _pending_approval(world: TenantWorld, execution_id: str) -> Any:
    """An approval the execution requested (as the approvals_intake function records one)."""
    approvals = Approvals(TenantContext(world.tenant_id))
    now = datetime.now(UTC)
    item = approvals.new(
        "f" * 23,
        approval_id="f" * 23,
        workflow_id="w",
        execution_id=execution_id,
        execution_arn="arn",
        node_id="sign_off",
        message="ship it?",
        status=ApprovalStatus.PENDING.value,
        created_at=now,
        expires_at=now + timedelta(hours=1),
        task_token="sealed",
    )
    approvals.create(item)
    return item


def test_forge_dev_invokes_the_reconciliation_on_its_catalog_schedule(
    emulated_aws: LocalLambdaRuntime, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock(datetime.now(UTC))
    rules = CatalogRuleScheduler(emulated_aws, LOCAL_PREFIX, clock=clock)
    assert rules.tick() == 0  # first sight: the slots start now

    fired = clock.run(rules, clock.now + timedelta(hours=1), step=timedelta(minutes=5))

    # Every scheduled catalog function fires on its own schedule: the reconciliation on rate(15 minutes),
    # ml_export (the ML series export) on cron(5 * * * ? *), ml_forecast_actions on cron(50 * * * ? *) and the
    # marketplace scanner's sweep of versions left pending on rate(10 minutes).
    scheduled = {spec.name: spec.schedule for spec in CATALOG if spec.schedule}
    assert scheduled == {
        "execution_reconcile": "rate(15 minutes)",
        "marketplace_scanner": "rate(10 minutes)",
        "ml_export": "cron(5 * * * ? *)",
        "ml_forecast_actions": "cron(50 * * * ? *)",
    }
    assert fired == 4 + 6 + 1 + 1
    assert "failed" not in caplog.text
