"""Install under the local platform: a template published by one tenant, scanned and countersigned, installed into
another tenant as a draft workflow with its parameters filled and credentials mapped, then published and run."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from devserver.api import create_platform_api
from devserver.emulation import LOCAL_PREFIX
from devserver.execution_watcher import ExecutionStatusWatcher
from devserver.table_stream_poller import TableStreamPoller
from shared.marketplace.signing import generate_key_pair
from shared.store.marketplace import find_version
from tests.integration.marketplace.test_publishing_api import publish, scanned, signed_upload
from tests.integration.workflows.test_workflow_api import run_to_end, tenant_headers


@pytest.fixture
def api(emulated_aws: Any, issuer: Any) -> Iterator[TestClient]:
    watcher = ExecutionStatusWatcher(emulated_aws, LOCAL_PREFIX)
    watcher.start()
    yield TestClient(create_platform_api(issuer), raise_server_exceptions=False)
    watcher.stop()


def greeting_template() -> dict[str, Any]:
    return {
        "kind": "workflow_template",
        "namespace": "acme",
        "name": "greeting",
        "version": "1.0.0",
        "title": "Greeting",
        "description": "Greets whoever the input names, signed by a team.",
        "license": "MIT",
        "workflow": {
            "name": "greeting",
            "nodes": [
                {"id": "start", "type": "manual", "params": {}},
                {
                    "id": "greet",
                    "type": "transform",
                    "params": {"expression": "{'greeting': 'Hello ' & $states.input.name & ' from {{team}}'}"},
                },
            ],
            "edges": [{"from": "start", "to": "greet"}],
        },
        "parameters": [{"name": "team", "json_schema": {"type": "string", "maxLength": 40}}],
        "credentials": [{"name": "acme_api", "kind": "bearer"}],
    }


@pytest.fixture
def published(api: TestClient, issuer: Any, admin_headers: dict[str, str], stream: TableStreamPoller) -> None:
    headers = tenant_headers(api, issuer, admin_headers, "acme")
    private_pem, public_key = generate_key_pair()
    assert api.put("/v1/marketplace/namespaces/acme", headers=headers, json={"public_key": public_key}).is_success
    upload = signed_upload(greeting_template(), {"README.md": b"# Greeting\n"}, private_pem)
    answer = publish(api, headers, upload, stream)
    assert scanned(api, headers, answer)["status"] == "approved", answer.text


def test_a_template_installed_into_another_tenant_runs_with_its_parameters(
    api: TestClient, issuer: Any, admin_headers: dict[str, str], published: None
) -> None:
    buyer = tenant_headers(api, issuer, admin_headers, "buyer")

    installed = api.post(
        "/v1/marketplace/installs",
        headers=buyer,
        json={"namespace": "acme", "name": "greeting", "version": "1.0.0", "parameters": {"team": "Acme"}},
    )

    assert installed.status_code == 201, installed.text
    assert installed.json()["missing_credentials"] == ["acme_api"]
    workflow_id = installed.json()["workflow_id"]
    assert api.post(f"/v1/workflows/{workflow_id}/publish", headers=buyer, json={}).is_success
    finished = run_to_end(api, buyer, workflow_id, {"name": "Ada"})
    assert finished["status"] == "SUCCEEDED" and finished["output"] == {"greeting": "Hello Ada from Acme"}


def test_an_install_is_refused_naming_a_missing_parameter_or_a_tampered_version(
    api: TestClient, issuer: Any, admin_headers: dict[str, str], published: None
) -> None:
    buyer = tenant_headers(api, issuer, admin_headers, "buyer")
    request = {"namespace": "acme", "name": "greeting", "version": "1.0.0"}

    no_team = api.post("/v1/marketplace/installs", headers=buyer, json=request)
    stored = find_version("acme", "greeting", "1.0.0")
    assert stored is not None
    stored.manifest = {**stored.manifest, "description": "Changed after signing."}
    stored.save()
    tampered = api.post("/v1/marketplace/installs", headers=buyer, json={**request, "parameters": {"team": "X"}})

    assert no_team.status_code == 422 and no_team.json()["invalid-params"][0]["name"] == "/parameters/team"
    assert tampered.status_code == 422 and tampered.json()["failed"] == "publisher_signature"
    assert api.get("/v1/workflows", headers=buyer).json()["items"] == []


def test_the_item_view_lists_a_templates_parameters_for_the_install_form(
    api: TestClient, issuer: Any, admin_headers: dict[str, str], published: None
) -> None:
    buyer = tenant_headers(api, issuer, admin_headers, "buyer")

    item = api.get("/v1/marketplace/items/acme/greeting", headers=buyer)

    assert item.status_code == 200, item.text
    assert item.json()["parameters"] == [
        {
            "name": "team",
            "description": "",
            "json_schema": {"type": "string", "maxLength": 40},
            "default": None,
            "required": True,
        }
    ]
