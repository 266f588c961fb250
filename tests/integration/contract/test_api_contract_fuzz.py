"""Schemathesis over the whole committed OpenAPI document, in-process, as a tenant owner: no 5xx, every response as
documented (status, content type, body, headers, `Allow`), what the document forbids is refused and, where JSON
Schema can say what the server accepts, what it allows is accepted. Twice: with the tenant's real ids in every path
(so requests reach past 404s) and with ids the fuzzer makes up."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events

from shared.auth.principal import Role
from shared.http.openapi_document import OPENAPI_DOCUMENT_PATH
from shared.tenancy import rate_limit
from tests.integration.approvals.support import add_pending_approval
from tests.integration.tenancy.conftest import (
    SAMPLE_WORKFLOW,
    TenantWorld,
    add_agent_model,
    add_execution_and_hook,
    make_tenant,
)

# Fixed, so a run sends the same requests every time (per operation, schemathesis derives its seed from this one).
SEED = 20261205
# Before these random examples, schemathesis's coverage phase sends every case the schema defines for each operation
# whatever this number (each required field missing, each wrong type, each length and enum boundary, each method the
# path does not allow: about 5,000 requests over 117 operations, most of the test's time). The examples add random
# combinations on top: 5 still catch the last bug the fuzz found (`share_marketplace_performance: 0` accepted).
MAX_EXAMPLES = 5
# The second pass leaves path ids to the fuzzer (malformed, overlong, unknown), so it runs only the operations with a
# path id: the others would send what the first pass sent.
MAX_EXAMPLES_WITH_GENERATED_IDS = 3
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "unsupported_method",
    "allow_header_conformance",
)
# Where the server refuses schema-valid input for a reason JSON Schema cannot state, so a valid request is refused:
# (method, path, why). Every other check still runs on them.
SEMANTIC_REFUSALS = (
    ("GET", "/v1/agent-models", "cursor: opaque, signed by the server"),
    ("POST", "/v1/agent-models", "examples: JSONL lines of a chat ending with the answer; a cost cap that buys 600 s"),
    ("GET", "/v1/api-keys", "cursor: opaque, signed by the server"),
    ("GET", "/v1/approvals", "cursor: opaque, signed by the server"),
    ("GET", "/v1/audit-events", "cursor: opaque, signed by the server"),
    ("GET", "/v1/credentials", "cursor: opaque, signed by the server"),
    ("GET", "/v1/executions", "cursor: opaque, signed by the server"),
    ("GET", "/v1/hooks", "cursor: opaque, signed by the server"),
    ("GET", "/v1/mcp-servers", "cursor: opaque, signed by the server"),
    ("GET", "/v1/members", "cursor: opaque, signed by the server"),
    ("GET", "/v1/quality/events", "cursor: opaque, signed by the server"),
    ("POST", "/v1/quality/events/{event_id}/undo", "an event is undone once: a second undo is a conflict"),
    ("GET", "/v1/ml/jobs", "cursor: opaque, signed by the server"),
    ("GET", "/v1/schedules", "cursor: opaque, signed by the server"),
    ("GET", "/v1/schedules/{schedule_id}/failures", "cursor: opaque, signed by the server"),
    ("GET", "/v1/tenants", "cursor: opaque, signed by the server"),
    ("GET", "/v1/workflows", "cursor: opaque, signed by the server"),
    ("GET", "/v1/marketplace/search", "cursor: opaque, signed by the server and bound to its query"),
    ("GET", "/v1/workflows/{workflow_id}/versions", "cursor: opaque, signed by the server"),
    ("POST", "/v1/api-keys", "expires_at must be in the future"),
    ("POST", "/v1/ml/jobs", "a job kind the caller may start (none for tenants yet), its instance types and bounds"),
    ("POST", "/v1/credentials", "a secret's headers, sealed together, within the 4,096 bytes KMS encrypts"),
    ("PUT", "/v1/credentials/{credential_name}", "a secret's headers, sealed together, within 4,096 bytes"),
    ("POST", "/v1/schedules", "a known IANA zone, a cron Scheduler takes, dates in order and not past"),
    ("PATCH", "/v1/schedules/{schedule_id}", "a known IANA zone, a cron Scheduler takes, dates in order and not past"),
    ("POST", "/v1/workflows", "a workflow's graph and expressions: the validator's findings (/v1/workflow-schema)"),
    ("POST", "/v1/workflows/validate", "a workflow's graph and expressions: the validator's findings"),
    ("POST", "/v1/workflows/import", "a workflow's graph and expressions: the validator's findings"),
    ("PUT", "/v1/workflows/{workflow_id}", "a workflow's graph and expressions: the validator's findings"),
    ("POST", "/v1/workflows/{workflow_id}/executions", "wait=true runs only express workflows"),
    ("PATCH", "/v1/tenants/{tenant_id}", "allowed hosts: real host names or addresses, never link-local or metadata"),
    ("POST", "/v1/tools/convert", "the tool must be valid in the format its sibling field `from` names"),
    ("POST", "/v1/mcp-servers", "a URL the SSRF guard lets through, a credential the tenant has"),
    ("POST", "/v1/mcp-servers/{server_id}/refresh", "the server must answer MCP at its URL"),
    ("PUT", "/v1/marketplace/namespaces/{namespace}", "an Ed25519 public key: ed25519:<base64 of 32 bytes>"),
    ("POST", "/v1/marketplace/items/{namespace}/{name}/versions", "a reserved namespace, a manifest, its signature"),
    ("GET", "/v1/marketplace/installs", "cursor: opaque, signed by the server"),
    ("GET", "/v1/node-presets", "cursor: opaque, signed by the server"),
    ("GET", "/v1/marketplace/installs/{install_id}/update", "a version the item published, not the installed one"),
    ("POST", "/v1/marketplace/installs/{install_id}/update", "a version the item published, not the installed one"),
)


def _operation(method: str, path: str, **settings: Any) -> dict[str, Any]:
    return {"include-name": f"{method} {path}", **settings}


def spare_targets(api: TestClient, world: TenantWorld) -> dict[tuple[str, str], dict[str, str]]:
    """Things of their own for the operations that remove them, so the other operations keep theirs."""
    owner = world.headers[Role.OWNER]
    workflow = api.post("/v1/workflows", headers=owner, json={**SAMPLE_WORKFLOW, "name": "spare"}).json()
    credential = api.post(
        "/v1/credentials", headers=owner, json={"name": "spare", "secret": {"kind": "bearer", "token": "t"}}
    ).json()
    hook = api.post("/v1/hooks", headers=owner, json={"workflow_id": world.workflow_id, "name": "spare"}).json()
    schedule = api.post(
        "/v1/schedules",
        headers=owner,
        json={"workflow_id": world.workflow_id, "name": "spare", "expression": "rate(1 hour)"},
    ).json()
    key = api.post("/v1/api-keys", headers=owner, json={"name": "spare", "role": "viewer"}).json()
    mcp_server = api.post(
        "/v1/mcp-servers", headers=owner, json={"name": "spare", "url": "https://mcp.spare.invalid/mcp"}
    ).json()
    assert api.post("/v1/members", headers=owner, json={"subject": "spare-2", "role": "viewer"}).is_success
    agent_model_id = add_agent_model(world.tenant_id)
    return {
        ("DELETE", "/v1/workflows/{workflow_id}"): {"path.workflow_id": workflow["id"]},
        ("DELETE", "/v1/credentials/{credential_name}"): {"path.credential_name": credential["name"]},
        ("DELETE", "/v1/hooks/{hook_id}"): {"path.hook_id": hook["hook_id"]},
        ("DELETE", "/v1/schedules/{schedule_id}"): {"path.schedule_id": schedule["schedule_id"]},
        ("DELETE", "/v1/api-keys/{key_id}"): {"path.key_id": key["key_id"]},
        ("DELETE", "/v1/mcp-servers/{server_id}"): {"path.server_id": mcp_server["server_id"]},
        ("DELETE", "/v1/members/{subject}"): {"path.subject": "spare-2"},
        ("DELETE", "/v1/agent-models/{model_id}"): {"path.model_id": agent_model_id},
    }


@pytest.fixture
def contract_world(api: TestClient, issuer, admin_headers, poller, status_watcher, monkeypatch) -> TenantWorld:
    """A tenant with one of everything an id names; its owner is who the fuzzer calls as."""
    # The fuzzer's requests arrive a second apart as far as the tenant's token bucket can tell: never a 429.
    clock = itertools.count(rate_limit._now_micros(), 1_000_000)
    monkeypatch.setattr(rate_limit, "_now_micros", lambda: next(clock))
    world = make_tenant(api, issuer, admin_headers, "fuzz")
    add_execution_and_hook(api, world)
    add_pending_approval(api, world, poller)
    return world


def contract_schema(api: TestClient, world: TenantWorld, *, real_ids: bool) -> Any:
    """The committed document, sent to the in-process app; with `real_ids`, every path id names the world's own."""
    ids = {
        "workflow_id": world.workflow_id,
        "version": 1,
        "execution_id": world.execution_id,
        "hook_id": world.hook_id,
        "schedule_id": world.schedule_id,
        "approval_id": world.approval_id,
        "credential_name": world.credential_name,
        "key_id": world.key_id,
        "subject": world.spare_member,
        "tenant_id": world.tenant_id,
        "server_id": world.mcp_server_id,
        "event_id": world.quality_event_id,
        "model_id": world.agent_model_id,
    }
    operations = [
        _operation(method, path, checks={"positive_data_acceptance": {"enabled": False}})
        for method, path, _why in SEMANTIC_REFUSALS
    ]
    if real_ids:
        operations += [
            _operation(method, path, parameters=parameters)
            for (method, path), parameters in spare_targets(api, world).items()
        ]
    config = SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "headers": world.headers[Role.OWNER],
            "parameters": {f"path.{name}": value for name, value in ids.items()} if real_ids else {},
            "generation": {
                "mode": "all",
                "max-examples": MAX_EXAMPLES if real_ids else MAX_EXAMPLES_WITH_GENERATED_IDS,
                "deterministic": True,
            },
            "phases": {"examples": {"enabled": False}, "stateful": {"enabled": False}},
            "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
            "operations": operations,
        }
    )
    schema: Any = schemathesis.openapi.from_path(OPENAPI_DOCUMENT_PATH, config=config)
    if not real_ids:
        schema = schema.include(path_regex=r"\{")
    schema.app = api.app
    return schema


def contract_violations(schema: Any) -> list[str]:
    """One entry per distinct failure (operation, check, what failed), with the request and the answer."""
    found: dict[tuple[str, str, str], str] = {}
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            for case_id, nodes in event.recorder.checks.items():
                for node in nodes:
                    if node.status == Status.FAILURE and node.failure_info is not None:
                        failure = node.failure_info.failure
                        response = event.recorder.find_response(case_id=case_id)
                        answer = f"{response.status_code} {response.content[:300]!r}" if response else "no response"
                        found.setdefault(
                            (event.recorder.label, node.name, failure.title),
                            f"{failure.message}\n    {node.failure_info.code_sample}\n    -> {answer}",
                        )
        elif isinstance(event, events.NonFatalError | events.FatalError):
            found.setdefault(("run", "error", str(event)), repr(event))
    return [f"{label}: {check}: {title}: {detail}" for (label, check, title), detail in sorted(found.items())]


@pytest.mark.parametrize("real_ids", [True, False], ids=["real ids", "generated ids"])
def test_the_server_keeps_the_documented_contract(api: TestClient, contract_world: TenantWorld, real_ids: bool) -> None:
    violations = contract_violations(contract_schema(api, contract_world, real_ids=real_ids))

    assert violations == [], "\n".join(violations)
