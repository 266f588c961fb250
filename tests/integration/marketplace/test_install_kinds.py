"""Installing every kind under the local platform: a connector made from the committed Swagger Petstore document
becomes node presets a workflow runs against a Petstore double on 127.0.0.1 with the tenant's credential; an agent
becomes a preset a workflow runs with a scripted model; an MCP server listing becomes a registered MCP server; an
update shows its diff before it is applied; uninstall keeps what the tenant changed."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from devserver.scripted_converse import answer, scripted_model
from devserver.table_stream_poller import TableStreamPoller
from shared.marketplace.connectors import connector_from_openapi
from tests.integration.marketplace.test_install_api import greeting_template
from tests.integration.marketplace.test_publishing_api import publish, scanned, signed_upload
from tests.integration.workflows.test_workflow_api import run_to_end, tenant_headers
from tests.unit.marketplace.conftest import PETSTORE

TOKEN = "pets-token-5c1e9b7a"
INSTALLS = "/v1/marketplace/installs"


class _Petstore(BaseHTTPRequestHandler):
    """GET /api/v3/pet/{id}: the pet as the Petstore answers it; each request's Authorization header is kept."""

    authorizations: list[str | None] = []

    def do_GET(self) -> None:
        type(self).authorizations.append(self.headers.get("authorization"))
        pet_id = self.path.rsplit("/", 1)[-1]
        payload = json.dumps({"id": int(pet_id), "name": "doggie", "status": "available"}).encode()
        self.send_response(200 if self.path.startswith("/api/v3/pet/") else 404)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def petstore() -> Iterator[str]:
    _Petstore.authorizations.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Petstore)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    # `localhost` passes the scan (a name is judged when it is requested); the buyer allows it for its runs.
    yield f"http://localhost:{server.server_address[1]}/api/v3"
    server.shutdown()
    server.server_close()


@pytest.fixture
def buyer(api: TestClient, issuer: Any, admin_headers: dict[str, str]) -> dict[str, str]:
    headers = tenant_headers(api, issuer, admin_headers, "buyer")
    tenant_id = api.get("/v1/me", headers=headers).json()["tenant_id"]
    allowed = api.patch(
        f"/v1/tenants/{tenant_id}", headers=headers, json={"settings": {"http_allowed_hosts": ["localhost"]}}
    )
    assert allowed.status_code == 200, allowed.text
    return headers


def published(
    api: TestClient,
    acme: tuple[dict[str, str], bytes],
    stream: TableStreamPoller,
    manifest: dict[str, Any],
    **artefacts: bytes,
) -> None:
    headers, private_pem = acme
    upload = signed_upload(manifest, artefacts or {"README.md": b"# Item\n"}, private_pem)
    answer_ = publish(api, headers, upload, stream)
    assert answer_.status_code == 202 and scanned(api, headers, answer_)["status"] == "approved", answer_.text


def petstore_connector(
    server_url: str, version: str = "1.0.0", drop: str | None = None, summaries: dict[str, str] | None = None
) -> tuple[dict[str, Any], bytes]:
    """The committed Petstore document pointed at `server_url` (as a publisher's staging copy would be), optionally
    without one operation and with other summaries, and its connector manifest."""
    document = yaml.safe_load(PETSTORE.read_text())
    document["servers"] = [{"url": server_url}]
    for item in document["paths"].values():
        for method, operation in list(item.items()):
            if not isinstance(operation, dict) or "operationId" not in operation:
                continue
            if operation["operationId"] == drop:
                del item[method]
            elif operation["operationId"] in (summaries or {}):
                operation["summary"] = (summaries or {})[operation["operationId"]]
    url, credential, presets = connector_from_openapi(document)
    manifest = {
        "kind": "connector",
        "namespace": "acme",
        "name": "petstore",
        "version": version,
        "title": "Swagger Petstore",
        "description": "Every operation of the Swagger Petstore as a node.",
        "license": "Apache-2.0",
        "openapi_artefact": "openapi.json",
        "server_url": url,
        "credential": None if credential is None else credential.model_dump(),
        "presets": [preset.model_dump() for preset in presets],
    }
    return manifest, json.dumps(document).encode()


def _run_one_node(api: TestClient, headers: dict[str, str], node: dict[str, Any], run_input: Any) -> dict[str, Any]:
    document = {
        "name": "uses-a-preset",
        "nodes": [{"id": "start", "type": "manual", "params": {}}, node],
        "edges": [{"from": "start", "to": node["id"]}],
    }
    created = api.post("/v1/workflows", headers=headers, json=document)
    assert created.status_code == 201, created.text
    workflow_id = created.json()["id"]
    assert api.post(f"/v1/workflows/{workflow_id}/publish", headers=headers, json={}).status_code == 201
    return run_to_end(api, headers, workflow_id, run_input)


def test_a_connector_from_the_petstore_document_runs_as_a_preset_node_with_the_tenants_credential(
    api: TestClient, acme: tuple[dict[str, str], bytes], buyer: dict[str, str], petstore: str, stream: TableStreamPoller
) -> None:
    manifest, document = petstore_connector(petstore)
    published(api, acme, stream, manifest, **{"openapi.json": document})
    credential = {"name": "pets", "secret": {"kind": "bearer", "token": TOKEN}}
    assert api.post("/v1/credentials", headers=buyer, json=credential).status_code == 201

    installed = api.post(
        INSTALLS,
        headers=buyer,
        json={"namespace": "acme", "name": "petstore", "version": "1.0.0", "credentials": {"petstore_auth": "pets"}},
    )

    assert installed.status_code == 201, installed.text
    assert installed.json()["missing_credentials"] == [] and installed.json()["credentials"] == {
        "petstore_auth": "pets"
    }
    presets = api.get("/v1/node-presets", headers=buyer, params={"limit": 100}).json()["items"]
    assert len(presets) == 19 and {preset["node_type"] for preset in presets} == {"http_request"}
    get_pet = next(preset for preset in presets if preset["preset_id"] == "acme.petstore.getPetById")
    assert get_pet["form_schema"]["required"] == ["petId"] and get_pet["source"] == "acme/petstore@1.0.0"
    node = {
        "id": "pet",
        "type": "preset",
        "params": {"preset": get_pet["preset_id"], "values": {"petId": "{% $states.input.id %}"}},
    }
    finished = _run_one_node(api, buyer, node, {"id": 7})
    assert finished["status"] == "SUCCEEDED", finished
    body = finished["output"]["body"]
    assert body == {"id": 7, "name": "doggie", "status": "available"}
    assert _Petstore.authorizations == [f"Bearer {TOKEN}"]
    assert TOKEN not in installed.text and TOKEN not in json.dumps(api.get("/v1/node-presets", headers=buyer).json())
    again = api.post(INSTALLS, headers=buyer, json={"namespace": "acme", "name": "petstore", "version": "1.0.0"})
    assert again.status_code == 409


def test_a_preset_node_naming_a_missing_preset_or_field_is_refused(
    api: TestClient, acme: tuple[dict[str, str], bytes], buyer: dict[str, str], petstore: str, stream: TableStreamPoller
) -> None:
    manifest, document = petstore_connector(petstore)
    published(api, acme, stream, manifest, **{"openapi.json": document})
    assert api.post(
        INSTALLS, headers=buyer, json={"namespace": "acme", "name": "petstore", "version": "1.0.0"}
    ).is_success

    def validated(params: dict[str, Any]) -> Any:
        nodes = [{"id": "start", "type": "manual", "params": {}}, {"id": "pet", "type": "preset", "params": params}]
        document = {"name": "w", "nodes": nodes, "edges": [{"from": "start", "to": "pet"}]}
        return api.post("/v1/workflows/validate", headers=buyer, json=document)

    unknown = validated({"preset": "acme.petstore.noSuchOperation"})
    no_pet_id = validated({"preset": "acme.petstore.getPetById", "values": {"colour": "brown"}})

    assert unknown.status_code == 422
    assert [param["name"] for param in unknown.json()["invalid-params"]] == ["/nodes/1/params/preset"]
    assert sorted(param["name"] for param in no_pet_id.json()["invalid-params"]) == [
        "/nodes/1/params/values/colour",
        "/nodes/1/params/values/petId",
    ]


def agent_manifest() -> dict[str, Any]:
    return {
        "kind": "agent",
        "namespace": "acme",
        "name": "summariser",
        "version": "1.0.0",
        "title": "Summariser",
        "description": "Summarises whatever text it is given in one sentence.",
        "license": "MIT",
        "agent": {
            "model": {"provider": "bedrock", "model_id": "anthropic.claude-3-haiku-20240307-v1:0"},
            "system": "You summarise text in one sentence.",
            "prompt": "Summarise.",
            "max_turns": 2,
        },
    }


def test_an_agent_installs_as_a_preset_that_a_workflow_runs(
    api: TestClient, acme: tuple[dict[str, str], bytes], buyer: dict[str, str], stream: TableStreamPoller
) -> None:
    published(api, acme, stream, agent_manifest())

    installed = api.post(INSTALLS, headers=buyer, json={"namespace": "acme", "name": "summariser", "version": "1.0.0"})

    assert installed.status_code == 201, installed.text
    assert installed.json()["added"] == [{"kind": "node_preset", "id": "acme.summariser.agent"}]
    node = {
        "id": "summary",
        "type": "preset",
        "params": {"preset": "acme.summariser.agent", "values": {"prompt": "{% $states.input.text %}"}},
    }
    with scripted_model(lambda body: answer("Cats sleep a lot.")) as model:
        finished = _run_one_node(api, buyer, node, {"text": "Cats sleep for most of the day."})
    assert finished["status"] == "SUCCEEDED", finished
    assert finished["output"]["answer"] == "Cats sleep a lot."
    sent = model.requests[0].body
    assert sent["system"] == [{"text": "You summarise text in one sentence."}]
    assert sent["messages"][0]["content"] == [{"text": "Cats sleep for most of the day."}]


def weather_listing() -> dict[str, Any]:
    return {
        "kind": "mcp_server",
        "namespace": "acme",
        "name": "weather",
        "version": "1.0.0",
        "title": "Weather MCP",
        "description": "Forecasts by city over MCP.",
        "license": "MIT",
        "url": "https://mcp.acme.example/mcp",
        "auth_kind": "bearer",
        "tools": [{"name": "forecast", "description": "The forecast of a city"}],
    }


def test_the_item_view_lists_the_credentials_an_install_maps_and_the_presets_it_adds(
    api: TestClient, acme: tuple[dict[str, str], bytes], buyer: dict[str, str], petstore: str, stream: TableStreamPoller
) -> None:
    connector, document = petstore_connector(petstore)
    published(api, acme, stream, connector, **{"openapi.json": document})
    published(api, acme, stream, agent_manifest())
    published(api, acme, stream, weather_listing())

    shop, agent, weather = (
        api.get(f"/v1/marketplace/items/acme/{name}", headers=buyer).json()
        for name in ("petstore", "summariser", "weather")
    )

    assert shop["credentials"] == [connector["credential"]] and shop["server_url"] == petstore
    assert len(shop["node_presets"]) == 19
    assert {
        "preset_id": "acme.petstore.getPetById",
        "title": "Find pet by ID.",
        "method": "GET",
        "path": "/pet/{petId}",
    } in shop["node_presets"]
    assert agent["credentials"] == [] and agent["server_url"] is None
    assert agent["node_presets"] == [
        {"preset_id": "acme.summariser.agent", "title": "Summariser", "method": None, "path": None}
    ]
    assert weather["node_presets"] == [] and weather["server_url"] == "https://mcp.acme.example/mcp"
    assert weather["credentials"] == [{"name": "weather", "kind": "bearer", "description": "The MCP server's auth"}]


def test_an_mcp_server_listing_is_registered_and_uninstall_removes_it(
    api: TestClient, acme: tuple[dict[str, str], bytes], buyer: dict[str, str], stream: TableStreamPoller
) -> None:
    listing = weather_listing()
    published(api, acme, stream, listing)

    installed = api.post(INSTALLS, headers=buyer, json={"namespace": "acme", "name": "weather", "version": "1.0.0"})

    assert installed.status_code == 201, installed.text
    assert installed.json()["missing_credentials"] == ["weather"]
    server_id = installed.json()["added"][0]["id"]
    server = api.get(f"/v1/mcp-servers/{server_id}", headers=buyer).json()
    assert server["url"] == "https://mcp.acme.example/mcp" and server["name"] == "Weather MCP"
    assert [install["install_id"] for install in api.get(INSTALLS, headers=buyer).json()["items"]] == [
        installed.json()["install_id"]
    ]
    removed = api.delete(f"{INSTALLS}/{installed.json()['install_id']}", headers=buyer)
    assert removed.status_code == 200 and removed.json()["removed"] == [{"kind": "mcp_server", "id": server_id}]
    assert api.get(f"/v1/mcp-servers/{server_id}", headers=buyer).status_code == 404
    assert api.get(INSTALLS, headers=buyer).json()["items"] == []


def test_uninstall_keeps_a_workflow_the_tenant_changed_and_removes_an_untouched_one(
    api: TestClient, acme: tuple[dict[str, str], bytes], buyer: dict[str, str], stream: TableStreamPoller
) -> None:
    published(api, acme, stream, greeting_template())
    request = {"namespace": "acme", "name": "greeting", "version": "1.0.0", "parameters": {"team": "Acme"}}
    edited, untouched = (api.post(INSTALLS, headers=buyer, json=request).json() for _ in range(2))
    workflow = api.get(f"/v1/workflows/{edited['workflow_id']}", headers=buyer).json()
    renamed = {**workflow["definition"], "name": "our greeting"}
    assert api.put(f"/v1/workflows/{edited['workflow_id']}", headers=buyer, json=renamed).is_success

    kept = api.delete(f"{INSTALLS}/{edited['install_id']}", headers=buyer)
    removed = api.delete(f"{INSTALLS}/{untouched['install_id']}", headers=buyer)

    assert kept.status_code == 200, kept.text
    assert kept.json() == {
        "install_id": edited["install_id"],
        "removed": [],
        "kept": [{"kind": "workflow", "id": edited["workflow_id"]}],
    }
    assert removed.json()["removed"] == [{"kind": "workflow", "id": untouched["workflow_id"]}]
    assert api.get(f"/v1/workflows/{edited['workflow_id']}", headers=buyer).json()["name"] == "our greeting"
    assert api.get(f"/v1/workflows/{untouched['workflow_id']}", headers=buyer).status_code == 404


def test_an_update_shows_its_diff_first_then_replaces_changed_presets_and_removes_dropped_ones(
    api: TestClient, acme: tuple[dict[str, str], bytes], buyer: dict[str, str], petstore: str, stream: TableStreamPoller
) -> None:
    first, first_document = petstore_connector(petstore)
    published(api, acme, stream, first, **{"openapi.json": first_document})
    second, second_document = petstore_connector(
        petstore, version="1.1.0", drop="deletePet", summaries={"getPetById": "Find a pet by its id"}
    )
    installed = api.post(INSTALLS, headers=buyer, json={"namespace": "acme", "name": "petstore", "version": "1.0.0"})
    install_id = installed.json()["install_id"]

    not_yet = api.get(f"{INSTALLS}/{install_id}/update", headers=buyer, params={"version": "1.1.0"})
    published(api, acme, stream, second, **{"openapi.json": second_document})
    plan = api.get(f"{INSTALLS}/{install_id}/update", headers=buyer, params={"version": "1.1.0"})
    presets_before = {
        preset["preset_id"]
        for preset in api.get("/v1/node-presets", headers=buyer, params={"limit": 100}).json()["items"]
    }
    applied = api.post(f"{INSTALLS}/{install_id}/update", headers=buyer, json={"version": "1.1.0"})

    assert not_yet.status_code == 404, not_yet.text
    assert plan.status_code == 200, plan.text
    assert plan.json() == {
        "install_id": install_id,
        "from_version": "1.0.0",
        "to_version": "1.1.0",
        "added": [],
        "changed": ["acme.petstore.getPetById"],
        "removed": ["acme.petstore.deletePet"],
        "kept": [],
    }
    assert "acme.petstore.deletePet" in presets_before
    assert applied.status_code == 200 and applied.json() == plan.json()
    presets = {
        preset["preset_id"]: preset
        for preset in api.get("/v1/node-presets", headers=buyer, params={"limit": 100}).json()["items"]
    }
    assert len(presets) == 18 and "acme.petstore.deletePet" not in presets
    assert presets["acme.petstore.getPetById"]["title"] == "Find a pet by its id"
    assert presets["acme.petstore.getPetById"]["source"] == "acme/petstore@1.1.0"
    assert api.get(f"{INSTALLS}/{install_id}", headers=buyer).json()["version"] == "1.1.0"
