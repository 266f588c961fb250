"""The purge of a deleted tenant leaves nothing of it in any table, the payloads bucket, Step Functions or Scheduler,
touches no other tenant, can be repeated, and finishes when retried after a failure or an exhausted time budget."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from fastapi.testclient import TestClient

from devserver.approvals_poller import ApprovalsQueuePoller
from devserver.emulation import LOCAL_PREFIX, LOCAL_REGION
from shared.agent_models.tuning import tenant_tag
from shared.auth.principal import Role
from shared.aws import s3
from shared.aws.clients import stepfunctions_client
from shared.ml.series import export_hour, hour_of
from shared.operations import tenant_purge as purge
from shared.resources import TABLES
from shared.settings import get_settings
from shared.store import ml_jobs
from shared.store.agent_models import AgentModels
from shared.store.audit import PLATFORM_AUDIT_PARTITION
from shared.store.context import TenantContext
from shared.store.quality import QualityEvents
from shared.store.tenancy import TENANT_RECORD_KEY, TenantItem, TenantRecords
from tests.integration.approvals.support import add_pending_approval
from tests.integration.executions.support import create_and_publish, waiting_workflow
from tests.integration.tenancy.conftest import TenantWorld, add_execution_and_hook, make_tenant

LARGE_INPUT = {"blob": "x" * (300 * 1024)}
COLLECTIONS = (
    *("MEMBER", "APIKEY", "RATE", "AUDIT"),
    *("WORKFLOW", "WFVERSION", "CREDENTIAL", "MCPSERVER"),
    *("EXEC", "IDEMPOTENCY", "RUNNING", "APPROVAL"),
    *("HOOK", "SCHEDULE", "QUALITYEVENT", "AGENTMODEL"),
)


def _client(service: str) -> Any:
    return boto3.client(service, region_name=LOCAL_REGION)  # type: ignore[call-overload]


def _table_names() -> list[str]:
    settings = get_settings()
    return [getattr(settings, spec.env_var.removeprefix("FORGE_").lower()) for spec in TABLES]


def tenant_items(tenant_id: str) -> list[tuple[str, str, str]]:
    """Every item of the tenant in every table (a Scan: the test may, the purge does not)."""
    dynamodb = _client("dynamodb")
    found = []
    for table in _table_names():
        for page in dynamodb.get_paginator("scan").paginate(
            TableName=table,
            FilterExpression="begins_with(pk, :tenant)",
            ExpressionAttributeValues={":tenant": {"S": f"TENANT#{tenant_id}"}},
        ):
            found += [(table, item["pk"]["S"], item["sk"]["S"]) for item in page["Items"]]
    return found


def payload_objects(tenant_id: str) -> list[str]:
    listed = _client("s3").list_objects_v2(Bucket=get_settings().bucket_payloads, Prefix=f"tenants/{tenant_id}/")
    return [entry["Key"] for entry in listed.get("Contents", [])]


def state_machines_of(tenant_id: str) -> list[str]:
    sfn = _client("stepfunctions")
    machines = [machine["stateMachineArn"] for machine in sfn.list_state_machines()["stateMachines"]]
    return [
        arn
        for arn in machines
        if {"key": "nexus-forge:tenant", "value": tenant_id} in sfn.list_tags_for_resource(resourceArn=arn)["tags"]
    ]


def running_executions_of(tenant_id: str) -> list[str]:
    sfn = _client("stepfunctions")
    return [
        execution["executionArn"]
        for machine in state_machines_of(tenant_id)
        for execution in sfn.list_executions(stateMachineArn=machine, statusFilter="RUNNING")["executions"]
    ]


def schedule_groups_of(tenant_id: str) -> list[str]:
    groups = _client("scheduler").list_schedule_groups()["ScheduleGroups"]
    return [group["Name"] for group in groups if group["Name"].endswith(tenant_id)]


def schedules_of(tenant_id: str) -> list[str]:
    return [
        schedule["Name"]
        for schedule in _client("scheduler").list_schedules()["Schedules"]
        if schedule["GroupName"].endswith(tenant_id)
    ]


def platform_audit_events(tenant_id: str) -> list[dict[str, Any]]:
    items = _client("dynamodb").query(
        TableName=get_settings().table_audit,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": PLATFORM_AUDIT_PARTITION}},
    )["Items"]
    return [item for item in items if item["tenant_id"]["S"] == tenant_id]


def ml_objects(tenant_id: str) -> list[str]:
    """The tenant's series and transform requests, the forecasts made for it, its ML jobs' models."""
    bucket = get_settings().require("bucket_payloads")
    jobs = [job.job_id for job in ml_jobs.tenant_jobs(tenant_id)]
    return [
        key
        for key in s3.keys_under(bucket, "ml/")
        if f"tenant={tenant_id}" in key or any(f"/{job}/" in key for job in jobs)
    ]


def ml_job_records(tenant_id: str) -> list[str]:
    return [job.job_id for job in ml_jobs.tenant_jobs(tenant_id)]


def agent_model_endpoints(tenant_id: str) -> list[str]:
    endpoints = _client("sagemaker").list_endpoints()["Endpoints"]
    return [
        endpoint["EndpointName"]
        for endpoint in endpoints
        if f"-tm-{tenant_tag(tenant_id)}-" in endpoint["EndpointName"]
    ]


def serve_agent_model(world: TenantWorld) -> None:
    """An endpoint (with its config and model) for the tenant's agent model (add_execution_and_hook's): in service."""
    model = AgentModels(TenantContext(world.tenant_id)).get(world.agent_model_id)
    assert model is not None
    name = model.endpoint_name
    sagemaker = _client("sagemaker")
    sagemaker.create_model(
        ModelName=name,
        ExecutionRoleArn=f"arn:aws:iam::123456789012:role/{LOCAL_PREFIX}-sagemaker",
        PrimaryContainer={"Image": "tuned", "ModelDataUrl": f"s3://bucket/{name}/model.tar.gz"},
    )
    sagemaker.create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[
            {"VariantName": "all", "ModelName": name, "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}
        ],
    )
    sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=name)


def add_ml_data(world: TenantWorld) -> None:
    """The hourly export's series and transform requests (for every tenant), a forecast made from the requests, a
    job trained on the tenant's data with its model, a quality event and its agent model's endpoint."""
    bucket = get_settings().require("bucket_payloads")
    hour = hour_of(datetime.now(UTC))
    export_hour(bucket, hour)
    s3.put_object(bucket, f"ml/transform/forecast/ml-nightly/tenant={world.tenant_id}.jsonl.out", b"{}\n", "text/plain")
    job_id = f"ml-{world.slug}-tuning"
    ml_jobs.save_new_job(
        ml_jobs.new_job_item(
            job_id,
            kind="forecast",
            tenant_id=world.tenant_id,
            execution_arn=f"arn:aws:states:{LOCAL_REGION}:123456789012:execution:ml:{job_id}",
            instance_type="ml.m5.large",
            spot=True,
            hourly_usd=0.115,
            max_cost_usd=1.0,
            hyperparameters={},
            created_at=datetime.now(UTC),
        )
    )
    s3.put_object(bucket, f"ml/models/forecast/{job_id}/output/model.tar.gz", b"model", "application/gzip")
    events = QualityEvents(TenantContext(world.tenant_id))
    events.create(
        events.new(
            f"{hour:%Y%m%dT%H%M%S}-{world.slug}",
            event_id=f"{hour:%Y%m%dT%H%M%S}-{world.slug}",
            workflow_id=world.workflow_id,
            version=1,
            signal="failure_rate",
            score=9.0,
            evidence={},
            actions=[],
            detected_at=datetime.now(UTC),
        )
    )
    serve_agent_model(world)


def populate(api: TestClient, world: TenantWorld, poller: ApprovalsQueuePoller) -> None:
    """Beyond make_tenant's members, key, workflow and credential: a published workflow with an execution, a webhook
    and a schedule; an execution with a >256 KB input (its payload in S3); a running execution; a pending approval;
    its ML data (add_ml_data)."""
    owner = world.headers[Role.OWNER]
    add_execution_and_hook(api, world)
    large = api.post(
        f"/v1/workflows/{world.workflow_id}/executions",
        headers={**owner, "idempotency-key": f"{world.slug}-large"},
        json={"input": LARGE_INPUT},
    )
    assert large.status_code == 202, large.text
    waiting = create_and_publish(api, owner, waiting_workflow(3_600))
    running = api.post(f"/v1/workflows/{waiting}/executions", headers=owner, json={"input": {}})
    assert running.status_code == 202, running.text
    add_pending_approval(api, world, poller)
    add_ml_data(world)


@pytest.fixture
def poller(emulated_aws) -> ApprovalsQueuePoller:
    return ApprovalsQueuePoller(emulated_aws, LOCAL_PREFIX)


@pytest.fixture
def two_tenants(api, issuer, admin_headers, poller) -> tuple[TenantWorld, TenantWorld]:
    doomed = make_tenant(api, issuer, admin_headers, "doomed")
    kept = make_tenant(api, issuer, admin_headers, "kept")
    for world in (doomed, kept):
        populate(api, world, poller)
    return doomed, kept


def everything_of(tenant_id: str) -> dict[str, list[Any]]:
    return {
        "items": tenant_items(tenant_id),
        "payloads": payload_objects(tenant_id),
        "state machines": state_machines_of(tenant_id),
        "schedule groups": schedule_groups_of(tenant_id),
        "schedules": schedules_of(tenant_id),
        "ml objects": ml_objects(tenant_id),
        "ml jobs": ml_job_records(tenant_id),
        "agent model endpoints": agent_model_endpoints(tenant_id),
    }


def test_a_purge_leaves_nothing_of_the_tenant_and_nothing_of_another_is_touched(
    api, admin_headers, two_tenants
) -> None:
    doomed, kept = two_tenants
    before = everything_of(doomed.tenant_id)
    # What the tenant has everywhere before: the test would prove nothing if it had nothing.
    assert all(before.values()), before
    collections = {pk.split("#")[2] for _, pk, _ in before["items"] if pk.count("#") >= 2}
    assert collections >= set(COLLECTIONS), collections
    kept_before = everything_of(kept.tenant_id)

    running = running_executions_of(doomed.tenant_id)
    assert len(running) >= 2  # the waiting workflow's and the one waiting for its approval
    stopped: list[str] = []
    sfn = stepfunctions_client()

    def record_stop(params: dict[str, Any], **_: Any) -> None:
        stopped.append(params["executionArn"])

    sfn.meta.events.register("provide-client-params.sfn.StopExecution", record_stop)

    path = f"/v1/tenants/{doomed.tenant_id}"
    assert api.delete(path, headers=admin_headers).json()["status"] == "deleted"
    try:
        purged = api.post(f"{path}/purge", headers=admin_headers)
    finally:
        sfn.meta.events.unregister("provide-client-params.sfn.StopExecution", record_stop)
    assert purged.status_code == 204, purged.text
    # Its running executions were stopped before their machines were deleted.
    assert sorted(stopped) == sorted(running)

    assert everything_of(doomed.tenant_id) == {key: [] for key in before}
    assert everything_of(kept.tenant_id) == kept_before
    assert api.get(path, headers=admin_headers).status_code == 404
    # Who purged which tenant is kept, outside the purged partitions.
    (event,) = platform_audit_events(doomed.tenant_id)
    assert event["action"]["S"] == "POST /v1/tenants/{tenant_id}/purge"
    assert event["actor"]["S"] == "platform-admin@example.com"

    # Twice is fine: a purged tenant is done, not unknown; an unknown one is.
    assert api.post(f"{path}/purge", headers=admin_headers).status_code == 204
    assert everything_of(doomed.tenant_id) == {key: [] for key in before}
    assert api.post("/v1/tenants/0123456789abcdef/purge", headers=admin_headers).status_code == 404
    # The other tenant still works.
    assert api.get("/v1/workflows", headers=kept.headers[Role.OWNER]).json()["items"]


def test_a_purge_that_fails_halfway_finishes_when_called_again(
    api, admin_headers, two_tenants, monkeypatch: pytest.MonkeyPatch
) -> None:
    doomed, kept = two_tenants
    kept_before = everything_of(kept.tenant_id)
    path = f"/v1/tenants/{doomed.tenant_id}"
    assert api.delete(path, headers=admin_headers).status_code == 200

    real_delete_partition = purge.delete_partition
    calls = {"n": 0}

    def failing_after_three(model: Any, partition: str, budget: purge.Budget) -> None:
        calls["n"] += 1
        if calls["n"] > 3:
            raise RuntimeError("injected: DynamoDB went away")
        real_delete_partition(model, partition, budget)

    monkeypatch.setattr(purge, "delete_partition", failing_after_three)
    failed = api.post(f"{path}/purge", headers=admin_headers)
    assert failed.status_code == 500
    # Halfway: the machines, groups and payloads are gone, some partitions too, the record says `purging`.
    assert api.get(path, headers=admin_headers).json()["status"] == "purging"
    halfway = everything_of(doomed.tenant_id)
    assert halfway["items"] and not halfway["state machines"] and not halfway["payloads"]
    assert api.delete(path, headers=admin_headers).status_code == 409

    monkeypatch.setattr(purge, "delete_partition", real_delete_partition)
    assert api.post(f"{path}/purge", headers=admin_headers).status_code == 204
    assert everything_of(doomed.tenant_id) == {key: [] for key in halfway}
    assert everything_of(kept.tenant_id) == kept_before


def test_a_purge_out_of_time_answers_202_purging_and_the_next_call_continues(
    api, admin_headers, two_tenants, monkeypatch: pytest.MonkeyPatch
) -> None:
    doomed, _ = two_tenants
    path = f"/v1/tenants/{doomed.tenant_id}"
    assert api.delete(path, headers=admin_headers).status_code == 200
    # A clock that moves 1 s a reading against a 10 s budget: each call gets a few steps done, never all.
    ticks = iter(range(1_000_000))
    real_purge = purge.purge_tenant
    monkeypatch.setattr(
        purge,
        "purge_tenant",
        lambda tenant_id: real_purge(tenant_id, budget_seconds=10, clock=lambda: float(next(ticks))),
    )
    answers = []
    for _ in range(100):
        answer = api.post(f"{path}/purge", headers=admin_headers)
        answers.append(answer.status_code)
        if answer.status_code == 204:
            break
        assert answer.status_code == 202 and answer.json()["status"] == "purging", answer.text
    assert answers[0] == 202 and answers[-1] == 204
    assert not any(everything_of(doomed.tenant_id).values())


def test_two_purges_at_once_both_finish_and_leave_nothing(api, admin_headers, two_tenants) -> None:
    doomed, kept = two_tenants
    kept_before = everything_of(kept.tenant_id)
    path = f"/v1/tenants/{doomed.tenant_id}"
    assert api.delete(path, headers=admin_headers).status_code == 200
    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(lambda _: api.post(f"{path}/purge", headers=admin_headers).status_code, range(2)))
    # One takes the lease and purges; the other finds it done, or busy (202, purging): it is not purged twice at once.
    assert sorted(answers) in ([202, 204], [204, 204])
    assert api.post(f"{path}/purge", headers=admin_headers).status_code == 204
    assert not any(everything_of(doomed.tenant_id).values())
    assert everything_of(kept.tenant_id) == kept_before


def test_a_lease_left_by_a_call_that_died_blocks_the_purge_only_until_it_expires(
    api, admin_headers, two_tenants
) -> None:
    doomed, _ = two_tenants
    path = f"/v1/tenants/{doomed.tenant_id}"
    assert api.delete(path, headers=admin_headers).status_code == 200
    record = TenantRecords(TenantContext(doomed.tenant_id)).get(TENANT_RECORD_KEY, consistent=True)
    assert record is not None
    now = datetime.now(UTC)
    # What a call that died after starting leaves: the tenant purging, its lease held for a while.
    record.update(
        actions=[
            TenantItem.status.set("purging"),
            TenantItem.purge_lease.set("died"),
            TenantItem.purge_lease_until.set(now + timedelta(hours=1)),
        ]
    )
    busy = api.post(f"{path}/purge", headers=admin_headers)
    assert busy.status_code == 202 and busy.json()["status"] == "purging"
    assert everything_of(doomed.tenant_id)["state machines"]  # nothing was done meanwhile
    record.update(actions=[TenantItem.purge_lease_until.set(now - timedelta(hours=1))])
    assert api.post(f"{path}/purge", headers=admin_headers).status_code == 204
    assert not any(everything_of(doomed.tenant_id).values())
