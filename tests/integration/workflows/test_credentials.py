"""Tenant credentials over the local API: write-only secrets, metadata reads, rotation, and their use by a
published workflow's http_request node against a server on 127.0.0.1 — for the execution's tenant only."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from fastapi.testclient import TestClient

from devserver.api import create_platform_api
from devserver.emulation import LOCAL_PREFIX, LOCAL_REGION, physical_names
from devserver.execution_watcher import ExecutionStatusWatcher
from shared.auth.principal import Role
from shared.credentials.secrets import credential_headers
from shared.resources import WORKFLOWS_TABLE
from shared.store.credentials import Credentials
from shared.store.tenant_scoped import TenantContext
from shared.workflows.http_node import load_tenant_http_policy
from tests.integration.workflows.test_workflow_api import run_to_end, tenant_headers
from tests.workflows.cases import chain, node

TOKEN = "tok-3f1c9a7e5b2d4c6a8e0f"


class _Recorder(BaseHTTPRequestHandler):
    """Answers every GET with the Authorization header it received; remembers every request's headers."""

    seen: list[dict[str, str]]

    def do_GET(self) -> None:
        type(self).seen.append({name.lower(): value for name, value in self.headers.items()})
        payload = json.dumps({"authorization": self.headers.get("authorization")}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[tuple[str, list[dict[str, str]]]]:
    seen: list[dict[str, str]] = []
    handler = type("Recorder", (_Recorder,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


@pytest.fixture
def api(emulated_aws, issuer) -> Iterator[TestClient]:
    """The platform's API, with the status-change events (as forge dev delivers them) that end execution records."""
    watcher = ExecutionStatusWatcher(emulated_aws, LOCAL_PREFIX)
    watcher.start()
    yield TestClient(create_platform_api(issuer), raise_server_exceptions=False)
    watcher.stop()


def _tenant(api: TestClient, issuer: Any, admin_headers: dict[str, str], slug: str) -> tuple[str, dict[str, str]]:
    headers = tenant_headers(api, issuer, admin_headers, slug)
    tenant_id = api.get("/v1/me", headers=headers).json()["tenant_id"]
    allowed = api.patch(
        f"/v1/tenants/{tenant_id}", headers=headers, json={"settings": {"http_allowed_hosts": ["127.0.0.1"]}}
    )
    assert allowed.status_code == 200, allowed.text
    return tenant_id, headers


def _calling_workflow(url: str, credential: str) -> dict[str, Any]:
    return {
        "name": "calls-out",
        "nodes": [
            node("start", "manual"),
            node("call", "http_request", url=url + "/private", credential=credential),
            node("shape", "transform", expression="{'seen': $states.input.body.authorization}"),
        ],
        "edges": chain("start", "call", "shape"),
    }


def _published(api: TestClient, headers: dict[str, str], document: dict[str, Any]) -> str:
    created = api.post("/v1/workflows", headers=headers, json=document)
    assert created.status_code == 201, created.text
    workflow_id: str = created.json()["id"]
    assert api.post(f"/v1/workflows/{workflow_id}/publish", headers=headers, json={}).status_code == 201
    return workflow_id


def _bearer(token: str) -> dict[str, Any]:
    return {"kind": "bearer", "token": token}


def test_secrets_are_write_only_and_metadata_pages_with_a_cursor(api: TestClient, issuer, admin_headers) -> None:
    tenant_id, owner = _tenant(api, issuer, admin_headers, "acme")
    secrets = [TOKEN, "hunter2-password", "key-9d8c7b6a", "custom-value-42"]
    bodies = [
        {"name": "github", "description": "CI token", "secret": _bearer(TOKEN)},
        {"name": "legacy", "secret": {"kind": "basic", "username": "svc", "password": secrets[1]}},
        {"name": "stripe", "secret": {"kind": "api_key_header", "header": "X-API-Key", "value": secrets[2]}},
        {"name": "partner", "secret": {"kind": "custom_headers", "headers": {"X-Tenant": "t1", "X-Sig": secrets[3]}}},
    ]
    responses = [api.post("/v1/credentials", headers=owner, json=body) for body in bodies]
    assert [response.status_code for response in responses] == [201] * 4
    created = responses[0].json()
    assert created["name"] == "github" and created["kind"] == "bearer" and created["version"] == 1
    assert created["headers"] == ["authorization"] and created["description"] == "CI token"
    assert responses[2].json()["headers"] == ["x-api-key"]
    assert responses[3].json()["headers"] == ["x-sig", "x-tenant"]

    duplicate = api.post("/v1/credentials", headers=owner, json=bodies[0])
    assert duplicate.status_code == 409
    invalid = api.post(
        "/v1/credentials", headers=owner, json={"name": "bad", "secret": _bearer("line\nbreak-" + TOKEN)}
    )
    assert invalid.status_code == 422
    assert invalid.json()["invalid-params"][0]["name"] == "/body/secret/bearer/token"

    first = api.get("/v1/credentials", headers=owner, params={"limit": 3}).json()
    second = api.get("/v1/credentials", headers=owner, params={"limit": 3, "cursor": first["next_cursor"]}).json()
    assert [item["name"] for item in first["items"] + second["items"]] == ["github", "legacy", "partner", "stripe"]
    assert second["next_cursor"] is None
    assert api.get("/v1/credentials/github", headers=owner).json() == created
    assert api.get("/v1/credentials/nope", headers=owner).status_code == 404

    rotated = api.put("/v1/credentials/github", headers=owner, json={"secret": _bearer("rotated-" + TOKEN)})
    assert rotated.status_code == 200, rotated.text
    assert rotated.json()["version"] == 2 and rotated.json()["rotated_by"] == "acme-owner"
    assert api.put("/v1/credentials/nope", headers=owner, json={"secret": _bearer("x")}).status_code == 404
    assert api.delete("/v1/credentials/legacy", headers=owner).status_code == 204
    assert api.get("/v1/credentials/legacy", headers=owner).status_code == 404

    # Every change is audited; no response (nor the audit log, nor the stored item) carries a secret in clear.
    actions = [event["action"] for event in api.get("/v1/audit-events", headers=owner).json()["items"]]
    assert {"POST /v1/credentials", "PUT /v1/credentials/{credential_name}"} <= set(actions)
    assert "DELETE /v1/credentials/{credential_name}" in actions
    audit = api.get("/v1/audit-events", headers=owner).text
    texts = [response.text for response in [*responses, duplicate, invalid, rotated]] + [audit]
    texts += [json.dumps(first), json.dumps(second)]
    stored = boto3.client("dynamodb", region_name=LOCAL_REGION).scan(
        TableName=physical_names()[WORKFLOWS_TABLE.env_var]
    )["Items"]
    texts.append(json.dumps(stored))
    for secret in [*secrets, "rotated-" + TOKEN, base64.b64encode(b"svc:" + secrets[1].encode()).decode()]:
        assert not [text for text in texts if secret in text], f"{secret!r} was returned or stored in clear"
    # The store still opens them for the tenant: what node_http applies.
    assert credential_headers(TenantContext(tenant_id), "github") == {"authorization": f"Bearer rotated-{TOKEN}"}


def test_an_editor_lists_credentials_but_cannot_create_or_rotate_them(api: TestClient, issuer, admin_headers) -> None:
    tenant_id, owner = _tenant(api, issuer, admin_headers, "acme")
    assert api.post("/v1/credentials", headers=owner, json={"name": "github", "secret": _bearer(TOKEN)}).is_success
    editor = {"authorization": f"Bearer {issuer.mint('acme-editor', tenant_id=tenant_id, role=Role.EDITOR)}"}
    assert api.post("/v1/members", headers=owner, json={"subject": "acme-editor", "role": "editor"}).is_success
    assert [item["name"] for item in api.get("/v1/credentials", headers=editor).json()["items"]] == ["github"]
    assert api.post("/v1/credentials", headers=editor, json={"name": "x", "secret": _bearer(TOKEN)}).status_code == 403
    assert api.put("/v1/credentials/github", headers=editor, json={"secret": _bearer(TOKEN)}).status_code == 403
    assert api.delete("/v1/credentials/github", headers=editor).status_code == 403


def test_a_secret_too_large_to_seal_is_a_422_naming_it_not_a_500(api: TestClient, issuer, admin_headers) -> None:
    _, owner = _tenant(api, issuer, admin_headers, "acme")
    # Each value is within its own limit; together they are more than KMS encrypts in one call (4 KB).
    headers = {f"x-part-{index}": "v" * 1_000 for index in range(5)}
    oversized = {"kind": "custom_headers", "headers": headers}

    created = api.post("/v1/credentials", headers=owner, json={"name": "big", "secret": oversized})
    assert api.post("/v1/credentials", headers=owner, json={"name": "big", "secret": _bearer(TOKEN)}).is_success
    rotated = api.put("/v1/credentials/big", headers=owner, json={"secret": oversized})

    for response in (created, rotated):
        assert response.status_code == 422, response.text
        (invalid,) = response.json()["invalid-params"]
        assert invalid["name"] == "/body/secret"
        assert "4096 bytes" in invalid["reason"]


def test_a_published_workflow_calls_a_local_server_with_the_credential(
    api: TestClient, issuer, admin_headers, recorder: tuple[str, list[dict[str, str]]]
) -> None:
    base_url, seen = recorder
    _, owner = _tenant(api, issuer, admin_headers, "acme")
    assert api.post("/v1/credentials", headers=owner, json={"name": "github", "secret": _bearer(TOKEN)}).is_success
    workflow_id = _published(api, owner, _calling_workflow(base_url, "github"))
    published = api.get(f"/v1/workflows/{workflow_id}/versions/1", headers=owner).text
    assert TOKEN not in published and '"credential":"github"' in published.replace(" ", "")

    run = run_to_end(api, owner, workflow_id)
    assert run["status"] == "SUCCEEDED", run
    assert seen[-1]["authorization"] == f"Bearer {TOKEN}"
    # The server echoed the header back: the secret is taken out before it reaches the execution's output and history.
    assert run["output"] == {"seen": "[redacted]"}
    history = api.get(f"/v1/executions/{run['execution_id']}/history", headers=owner).text
    assert TOKEN not in history and TOKEN not in json.dumps(run)

    # A rotation takes effect on the next run, without publishing again.
    assert api.put("/v1/credentials/github", headers=owner, json={"secret": _bearer("second-" + TOKEN)}).is_success
    assert run_to_end(api, owner, workflow_id)["status"] == "SUCCEEDED"
    assert seen[-1]["authorization"] == f"Bearer second-{TOKEN}"

    # A deleted credential fails the node by name, and nothing is sent.
    assert api.delete("/v1/credentials/github", headers=owner).status_code == 204
    calls = len(seen)
    failed = run_to_end(api, owner, workflow_id)
    assert failed["status"] == "FAILED" and failed["error"] == "CredentialNotFound", failed
    assert len(seen) == calls


def test_a_workflow_never_uses_another_tenants_credential(
    api: TestClient, issuer, admin_headers, recorder: tuple[str, list[dict[str, str]]]
) -> None:
    base_url, seen = recorder
    alpha_id, alpha = _tenant(api, issuer, admin_headers, "alpha")
    bravo_id, bravo = _tenant(api, issuer, admin_headers, "bravo")
    assert api.post("/v1/credentials", headers=alpha, json={"name": "only-alpha", "secret": _bearer(TOKEN)}).is_success
    for headers, token in ((alpha, "alpha-shared"), (bravo, "bravo-shared")):
        assert api.post(
            "/v1/credentials", headers=headers, json={"name": "shared", "secret": _bearer(token)}
        ).is_success

    # Bravo's workflow names alpha's credential: it does not exist for bravo.
    stealing = _published(api, bravo, _calling_workflow(base_url, "only-alpha"))
    failed = run_to_end(api, bravo, stealing)
    assert failed["status"] == "FAILED" and failed["error"] == "CredentialNotFound", failed
    assert all(TOKEN not in json.dumps(headers) for headers in seen)

    # The same name resolves to each tenant's own secret.
    for headers, token in ((alpha, "alpha-shared"), (bravo, "bravo-shared")):
        workflow_id = _published(api, headers, _calling_workflow(base_url, "shared"))
        assert run_to_end(api, headers, workflow_id)["status"] == "SUCCEEDED"
        assert seen[-1]["authorization"] == f"Bearer {token}"
    assert api.get("/v1/credentials/only-alpha", headers=bravo).status_code == 404
    assert load_tenant_http_policy(bravo_id).credentials("only-alpha") is None

    # Alpha's ciphertext copied into bravo's item of the same name and version does not open: it is bound to
    # its tenant.
    alpha_item = Credentials(TenantContext(alpha_id)).get("shared")
    bravo_item = Credentials(TenantContext(bravo_id)).get("shared")
    assert alpha_item is not None and bravo_item is not None and alpha_item.version == bravo_item.version
    bravo_item.ciphertext = alpha_item.ciphertext
    Credentials(TenantContext(bravo_id)).save(bravo_item)
    with pytest.raises(ClientError) as refused:
        credential_headers(TenantContext(bravo_id), "shared")
    assert refused.value.response["Error"]["Code"] == "InvalidCiphertextException"
