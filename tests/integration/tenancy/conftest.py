"""A platform API in the emulation with a local issuer, and tenants with a member of every role."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

import boto3
import pytest
from fastapi.testclient import TestClient

from devserver.api import create_platform_api
from devserver.emulation import LOCAL_ACCOUNT, LOCAL_PREFIX, LOCAL_REGION
from devserver.issuer import LocalIssuer
from shared.agent_models.tuning import endpoint_name
from shared.auth.principal import Role
from shared.ml.job_kinds import AGENT_TUNING
from shared.quality.detector import Finding, Signal
from shared.quality.policies import QualityPolicy
from shared.quality.service import record_quality_event
from shared.resources import ML_PIPELINES
from shared.store.agent_models import AgentModels
from shared.store.marketplace import Installs
from shared.store.tenant_scoped import TenantContext
from tests.integration.forecasts.support import publish_forecast, series_answer


@pytest.fixture
def api(emulated_aws, issuer) -> TestClient:
    return TestClient(create_platform_api(issuer), raise_server_exceptions=False)


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


SAMPLE_WORKFLOW = {
    "name": "matrix",
    "nodes": [{"id": "start", "type": "manual"}, {"id": "shape", "type": "transform", "params": {"expression": "1"}}],
    "edges": [{"from": "start", "to": "shape"}],
}


@dataclass
class TenantWorld:
    """A tenant with a member of every role, an API key, a spare member to act on, a workflow and a credential."""

    tenant_id: str
    slug: str
    headers: dict[Role, dict[str, str]]
    key_id: str
    api_key: str
    spare_member: str
    workflow_id: str
    credential_name: str
    mcp_server_id: str
    install_id: str
    identifiers: set[str] = field(default_factory=set)
    # Set by `add_execution_and_hook`: an execution of the workflow and a webhook endpoint bound to it.
    execution_id: str = ""
    hook_id: str = ""
    # Set by tests.integration.approvals.support.add_pending_approval: a pending approval of another workflow.
    approval_id: str = ""
    # Set by `add_execution_and_hook` too: a schedule of the workflow, and a quality event of its execution.
    schedule_id: str = ""
    quality_event_id: str = ""
    # Set by `add_execution_and_hook` too: an agent model whose pipeline ended at once.
    agent_model_id: str = ""


def make_tenant(
    api: TestClient, issuer: LocalIssuer, admin_headers: dict[str, str], slug: str, tier: str = "enterprise"
) -> TenantWorld:
    owner = f"{slug}-owner"
    response = api.post(
        "/v1/tenants",
        headers=admin_headers,
        json={"slug": slug, "display_name": slug.title(), "tier": tier, "owner": {"subject": owner}},
    )
    assert response.status_code == 201, response.text
    tenant_id = response.json()["tenant_id"]
    headers = {Role.OWNER: bearer(issuer.mint(owner, tenant_id=tenant_id, role=Role.OWNER))}
    for role in (Role.ADMIN, Role.EDITOR, Role.VIEWER):
        subject = f"{slug}-{role}"
        added = api.post("/v1/members", headers=headers[Role.OWNER], json={"subject": subject, "role": role})
        assert added.status_code == 201, added.text
        headers[role] = bearer(issuer.mint(subject, tenant_id=tenant_id, role=role))
    spare = f"{slug}-spare"
    assert api.post("/v1/members", headers=headers[Role.OWNER], json={"subject": spare, "role": "viewer"}).is_success
    key = api.post("/v1/api-keys", headers=headers[Role.OWNER], json={"name": f"{slug} ci", "role": "editor"})
    assert key.status_code == 201, key.text
    body = key.json()
    workflow = api.post("/v1/workflows", headers=headers[Role.OWNER], json=SAMPLE_WORKFLOW)
    assert workflow.status_code == 201, workflow.text
    workflow_id = workflow.json()["id"]
    credential_name, credential_secret = f"{slug}-token", f"{slug}-credential-secret-value"
    credential = api.post(
        "/v1/credentials",
        headers=headers[Role.OWNER],
        json={"name": credential_name, "secret": {"kind": "bearer", "token": credential_secret}},
    )
    assert credential.status_code == 201, credential.text
    # A host that never resolves (RFC 6761's .invalid): registered, but a refresh reaches nothing.
    mcp_server = api.post(
        "/v1/mcp-servers",
        headers=headers[Role.OWNER],
        json={"name": f"{slug} tools", "url": f"https://mcp.{slug}.invalid/mcp", "credential": credential_name},
    )
    assert mcp_server.status_code == 201, mcp_server.text
    mcp_server_id = mcp_server.json()["server_id"]
    install_id = _recorded_install(tenant_id, owner)
    return TenantWorld(
        tenant_id=tenant_id,
        slug=slug,
        headers=headers,
        key_id=body["key_id"],
        api_key=body["api_key"],
        spare_member=spare,
        workflow_id=workflow_id,
        credential_name=credential_name,
        mcp_server_id=mcp_server_id,
        install_id=install_id,
        identifiers={
            mcp_server_id,
            install_id,
            tenant_id,
            slug,
            body["key_id"],
            spare,
            workflow_id,
            credential_secret,
            *(f"{slug}-{role}" for role in Role),
        },
    )


def _recorded_install(tenant_id: str, actor: str) -> str:
    """An install record written through the data layer (no item is published in the matrix), that added nothing."""
    installs = Installs(TenantContext(tenant_id))
    install_id = uuid.uuid4().hex
    installs.create(
        installs.new(
            install_id,
            install_id=install_id,
            namespace="matrix",
            name="no-such-item",
            version="1.0.0",
            kind="workflow_template",
            installed_at=datetime.now(UTC),
            installed_by=actor,
        )
    )
    return install_id


def add_execution_and_hook(api: TestClient, world: TenantWorld) -> None:
    """Publishes the tenant's workflow, starts it once and binds a webhook endpoint and a schedule to it."""
    owner = world.headers[Role.OWNER]
    assert api.post(f"/v1/workflows/{world.workflow_id}/publish", headers=owner, json={}).status_code == 201
    started = api.post(f"/v1/workflows/{world.workflow_id}/executions", headers=owner, json={"input": {}})
    assert started.status_code == 202, started.text
    hook = api.post("/v1/hooks", headers=owner, json={"workflow_id": world.workflow_id, "name": "matrix"})
    assert hook.status_code == 201, hook.text
    world.execution_id = started.json()["execution_id"]
    world.hook_id = hook.json()["hook_id"]
    world.identifiers |= {world.execution_id, world.hook_id}
    schedule = api.post(
        "/v1/schedules",
        headers=owner,
        json={"workflow_id": world.workflow_id, "name": "matrix", "expression": "rate(1 hour)"},
    )
    assert schedule.status_code == 201, schedule.text
    world.schedule_id = schedule.json()["schedule_id"]
    world.identifiers.add(world.schedule_id)
    world.quality_event_id = add_quality_event(world.tenant_id, world.workflow_id, world.execution_id)
    world.identifiers.add(world.quality_event_id)
    # A forecast of the tenant and its workflow (GET /v1/forecasts): another tenant's answer must name none of it.
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    publish_forecast(
        world.tenant_id,
        f"ml-matrix-{world.slug}",
        [
            series_answer(f"{world.tenant_id}:{name}", hour, [3.0] * 24)
            for name in ("executions", f"{world.workflow_id}:executions")
        ],
    )
    world.agent_model_id = add_agent_model(world.tenant_id)
    world.identifiers.add(world.agent_model_id)


def add_quality_event(tenant_id: str, workflow_id: str, execution_id: str) -> str:
    """A duration finding in the execution, recorded under the workflow's default policy (notify)."""
    finding = Finding(Signal.DURATION, 1, 7.5, {"execution_id": execution_id, "value": 9000.0, "typical": 400.0})
    event = record_quality_event(
        TenantContext(tenant_id), workflow_id, finding, QualityPolicy(), datetime.now(UTC), execution_id
    )
    assert event is not None
    return event.event_id


def add_agent_model(tenant_id: str) -> str:
    """An agent model whose agent_tuning pipeline execution failed at its first state (it was given no plan): the
    routes' data without a training job."""
    model_id = secrets.token_hex(4)
    name = endpoint_name(LOCAL_PREFIX, tenant_id, model_id)
    machine = ML_PIPELINES.machine_name(LOCAL_PREFIX, AGENT_TUNING.name)
    arn = f"{ML_PIPELINES.arn_prefix(LOCAL_PREFIX, LOCAL_ACCOUNT, LOCAL_REGION)}-{AGENT_TUNING.name.replace('_', '-')}"
    assert arn.endswith(machine)
    started = boto3.client("stepfunctions", region_name=LOCAL_REGION).start_execution(
        stateMachineArn=arn, name=name, input="{}"
    )
    models = AgentModels(TenantContext(tenant_id))
    models.create(
        models.new(
            model_id,
            model_id=model_id,
            name="matrix",
            base_model="smollm2-135m-instruct",
            endpoint_name=name,
            execution_arn=started["executionArn"],
            instance_type="ml.m5.xlarge",
            hourly_usd=0.23,
            max_cost_usd=1.0,
            hyperparameters={},
            dataset={"from_memory": 0, "uploaded": 1, "left_out": 0},
            created_at=datetime.now(UTC),
            created_by="owner",
        )
    )
    return model_id
