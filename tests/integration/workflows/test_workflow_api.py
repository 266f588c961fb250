"""The workflows API on the local platform: create, validate, publish, run, version, roll back, delete, isolation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from fastapi.testclient import TestClient

from devserver.api import create_platform_api
from devserver.emulation import LOCAL_REGION
from devserver.issuer import LocalIssuer
from shared.auth.principal import Role
from tests.helpers import wait_until
from tests.workflows.cases import chain, node


@pytest.fixture
def api(emulated_aws, issuer) -> Iterator[TestClient]:
    """The platform's API, with the status-change events (as forge dev delivers them) that end execution records."""
    from devserver.emulation import LOCAL_PREFIX
    from devserver.execution_watcher import ExecutionStatusWatcher

    watcher = ExecutionStatusWatcher(emulated_aws, LOCAL_PREFIX)
    watcher.start()
    yield TestClient(create_platform_api(issuer), raise_server_exceptions=False)
    watcher.stop()


def tenant_headers(api: TestClient, issuer: LocalIssuer, admin_headers: dict[str, str], slug: str) -> dict[str, str]:
    owner = f"{slug}-owner"
    created = api.post(
        "/v1/tenants",
        headers=admin_headers,
        json={"slug": slug, "display_name": slug.title(), "tier": "enterprise", "owner": {"subject": owner}},
    )
    assert created.status_code == 201, created.text
    token = issuer.mint(owner, tenant_id=created.json()["tenant_id"], role=Role.OWNER)
    return {"authorization": f"Bearer {token}"}


def greeting(text: str, name: str = "greeter") -> dict[str, Any]:
    return {
        "name": name,
        "nodes": [node("start", "manual"), node("greet", "transform", expression=f"{{'said': '{text}'}}")],
        "edges": chain("start", "greet"),
    }


def run_to_end(api: TestClient, headers: dict[str, str], workflow_id: str, run_input: Any = None) -> dict[str, Any]:
    """Runs the live version through the executions API and waits for the record's end."""
    started = api.post(f"/v1/workflows/{workflow_id}/executions", headers=headers, json={"input": run_input or {}})
    assert started.status_code == 202, started.text
    execution_id = started.json()["execution_id"]
    finished: dict[str, Any] = wait_until(
        lambda: api.get(f"/v1/executions/{execution_id}", headers=headers).json(),
        lambda execution: execution["status"] != "RUNNING",
    )
    return finished


@pytest.fixture
def owner(api, issuer, admin_headers) -> dict[str, str]:
    return tenant_headers(api, issuer, admin_headers, "acme")


def test_create_validate_publish_run_version_and_roll_back(api: TestClient, owner: dict[str, str]) -> None:
    created = api.post("/v1/workflows", headers=owner, json=greeting("hello"))
    assert created.status_code == 201, created.text
    workflow_id = created.json()["id"]

    report = api.post(f"/v1/workflows/{workflow_id}/validate", headers=owner)
    assert report.status_code == 200
    assert report.json()["states"] == 2
    assert report.json()["cost"]["longest"]["state_transitions"] == 2

    first = api.post(f"/v1/workflows/{workflow_id}/publish", headers=owner, json={"note": "first"})
    assert first.status_code == 201, first.text
    assert first.json()["version"] == 1 and first.json()["live"] is True
    assert first.json()["asl"]["QueryLanguage"] == "JSONata"
    assert run_to_end(api, owner, workflow_id)["output"] == {"said": "hello"}

    updated = api.put(f"/v1/workflows/{workflow_id}", headers={**owner, "if-match": "1"}, json=greeting("bonjour"))
    assert updated.status_code == 200 and updated.json()["revision"] == 2
    stale = api.put(f"/v1/workflows/{workflow_id}", headers={**owner, "if-match": "1"}, json=greeting("hallo"))
    assert stale.status_code == 409
    not_a_revision = api.put(f"/v1/workflows/{workflow_id}", headers={**owner, "if-match": '"abc"'}, json=greeting("x"))
    assert not_a_revision.status_code == 409 and "If-Match" in not_a_revision.json()["detail"]
    assert api.get(f"/v1/workflows/{workflow_id}", headers=owner).json()["revision"] == 2
    assert api.post(f"/v1/workflows/{workflow_id}/publish", headers=owner).json()["version"] == 2
    assert run_to_end(api, owner, workflow_id)["output"] == {"said": "bonjour"}

    versions = api.get(f"/v1/workflows/{workflow_id}/versions", headers=owner).json()["items"]
    assert [(version["version"], version["live"]) for version in versions] == [(2, True), (1, False)]
    diff = api.get(f"/v1/workflows/{workflow_id}/diff", headers=owner, params={"from": 1, "to": 2}).json()
    assert diff["nodes_changed"] == [{"id": "greet", "fields": ["params"]}]

    rolled_back = api.post(f"/v1/workflows/{workflow_id}/rollback", headers=owner, json={"version": 1})
    assert rolled_back.status_code == 200 and rolled_back.json()["live_version"] == 1
    assert run_to_end(api, owner, workflow_id)["output"] == {"said": "hello"}
    assert api.get(f"/v1/workflows/{workflow_id}/versions/2", headers=owner).json()["live"] is False


def test_export_import_and_list_with_cursor(api: TestClient, owner: dict[str, str]) -> None:
    workflow_id = api.post("/v1/workflows", headers=owner, json=greeting("hi", name="original")).json()["id"]
    exported = api.get(f"/v1/workflows/{workflow_id}/export", headers=owner).json()
    assert exported["format"] == "nexus-forge.workflow/v1"
    imported = api.post("/v1/workflows/import", headers=owner, json=exported)
    assert imported.status_code == 201
    assert imported.json()["id"] != workflow_id and imported.json()["definition"] == exported["workflow"]

    first = api.get("/v1/workflows", headers=owner, params={"limit": 1}).json()
    second = api.get("/v1/workflows", headers=owner, params={"limit": 1, "cursor": first["next_cursor"]}).json()
    assert {first["items"][0]["id"], second["items"][0]["id"]} == {workflow_id, imported.json()["id"]}


def test_an_invalid_workflow_is_a_422_listing_every_finding_and_nothing_is_stored(
    api: TestClient, owner: dict[str, str]
) -> None:
    document = {
        "name": "broken",
        "nodes": [
            node("start", "manual"),
            node("start", "transform", expression="1"),
            node("calc", "transform", expression="$states.input.a +"),
            node("mystery", "teleport"),
        ],
        "edges": [{"from": "start", "to": "nowhere"}],
    }
    for path in ("/v1/workflows", "/v1/workflows/validate"):
        response = api.post(path, headers=owner, json=document)
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        pointers = {param["name"] for param in response.json()["invalid-params"]}
        assert {"/nodes/1/id", "/nodes/2/params/expression", "/nodes/3/type", "/edges/0/to"} <= pointers
    assert api.get("/v1/workflows", headers=owner).json()["items"] == []
    malformed = api.post("/v1/workflows", headers=owner, json={"nodes": "many"})
    assert malformed.status_code == 422
    assert {param["name"] for param in malformed.json()["invalid-params"]} == {"/nodes", "/name"}


@pytest.fixture
def during_deploy(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Actions to run in the middle of the next publish, between its lease and its last write (once each)."""
    from shared.workflows import service
    from shared.workflows.state_machines import deploy

    pending: list[Any] = []

    def deploy_with_interruption(*args: Any, **kwargs: Any) -> Any:
        while pending:
            pending.pop(0)()
        return deploy(*args, **kwargs)

    monkeypatch.setattr(service, "deploy", deploy_with_interruption)
    return pending


def test_a_publish_while_another_publishes_is_a_409_and_one_version_results(
    api: TestClient, owner: dict[str, str], during_deploy: list[Any]
) -> None:
    workflow_id = api.post("/v1/workflows", headers=owner, json=greeting("hello")).json()["id"]
    meanwhile: list[Any] = []
    during_deploy.append(lambda: meanwhile.append(api.post(f"/v1/workflows/{workflow_id}/publish", headers=owner)))

    first = api.post(f"/v1/workflows/{workflow_id}/publish", headers=owner)

    assert first.status_code == 201 and first.json()["version"] == 1, first.text
    (second,) = meanwhile
    assert second.status_code == 409 and "in progress" in second.json()["detail"], second.text
    versions = api.get(f"/v1/workflows/{workflow_id}/versions", headers=owner).json()["items"]
    assert [(version["version"], version["live"]) for version in versions] == [(1, True)]
    assert api.post(f"/v1/workflows/{workflow_id}/publish", headers=owner).json()["version"] == 2


def test_a_draft_saved_while_a_version_is_published_keeps_both(
    api: TestClient, owner: dict[str, str], during_deploy: list[Any]
) -> None:
    workflow_id = api.post("/v1/workflows", headers=owner, json=greeting("hello")).json()["id"]
    meanwhile: list[Any] = []
    during_deploy.append(
        lambda: meanwhile.append(api.put(f"/v1/workflows/{workflow_id}", headers=owner, json=greeting("bonjour")))
    )

    published = api.post(f"/v1/workflows/{workflow_id}/publish", headers=owner)

    assert published.status_code == 201, published.text
    assert meanwhile[0].status_code == 200, meanwhile[0].text
    workflow = api.get(f"/v1/workflows/{workflow_id}", headers=owner).json()
    assert workflow["revision"] == 2 and workflow["definition"]["nodes"][1]["params"]["expression"] == (
        "{'said': 'bonjour'}"
    )
    assert workflow["latest_version"] == 1 and workflow["live_version"] == 1
    assert run_to_end(api, owner, workflow_id)["output"] == {"said": "hello"}


def test_a_publish_that_fails_lets_the_next_one_through(
    api: TestClient, owner: dict[str, str], during_deploy: list[Any]
) -> None:
    workflow_id = api.post("/v1/workflows", headers=owner, json=greeting("hello")).json()["id"]

    def fail() -> None:
        raise RuntimeError("Step Functions went away")

    during_deploy.append(fail)
    assert api.post(f"/v1/workflows/{workflow_id}/publish", headers=owner).status_code == 500

    retried = api.post(f"/v1/workflows/{workflow_id}/publish", headers=owner)
    assert retried.status_code == 201 and retried.json()["version"] == 1, retried.text


def test_delete_refuses_while_executions_run_unless_forced(api: TestClient, owner: dict[str, str]) -> None:
    slow = {
        "name": "slow",
        "nodes": [node("start", "manual"), node("pause", "wait", seconds=120)],
        "edges": chain("start", "pause"),
    }
    workflow_id = api.post("/v1/workflows", headers=owner, json=slow).json()["id"]
    assert api.post(f"/v1/workflows/{workflow_id}/publish", headers=owner).status_code == 201
    started = api.post(f"/v1/workflows/{workflow_id}/executions", headers=owner, json={"input": {}})
    execution_id = started.json()["execution_id"]

    refused = api.delete(f"/v1/workflows/{workflow_id}", headers=owner)
    assert refused.status_code == 409 and refused.json()["running_executions"] == 1
    assert api.delete(f"/v1/workflows/{workflow_id}", headers=owner, params={"force": "true"}).status_code == 204
    assert api.get(f"/v1/workflows/{workflow_id}", headers=owner).status_code == 404
    # The record stays (the tenant's history); Step Functions' step history went with the state machine.
    assert api.get(f"/v1/executions/{execution_id}", headers=owner).status_code == 200
    assert api.get(f"/v1/executions/{execution_id}/history", headers=owner).status_code == 410


def test_delete_of_an_idle_published_workflow_removes_it(api: TestClient, owner: dict[str, str]) -> None:
    workflow_id = api.post("/v1/workflows", headers=owner, json=greeting("bye")).json()["id"]
    assert api.post(f"/v1/workflows/{workflow_id}/publish", headers=owner).status_code == 201
    assert run_to_end(api, owner, workflow_id)["status"] == "SUCCEEDED"
    assert api.delete(f"/v1/workflows/{workflow_id}", headers=owner).status_code == 204
    assert api.get(f"/v1/workflows/{workflow_id}/versions", headers=owner).status_code == 404


def test_a_tenant_cannot_touch_or_reference_another_tenants_workflow(
    api: TestClient, issuer: LocalIssuer, admin_headers: dict[str, str], owner: dict[str, str]
) -> None:
    other = tenant_headers(api, issuer, admin_headers, "globex")
    workflow_id = api.post("/v1/workflows", headers=owner, json=greeting("mine")).json()["id"]
    assert api.post(f"/v1/workflows/{workflow_id}/publish", headers=owner).status_code == 201

    assert api.get(f"/v1/workflows/{workflow_id}", headers=other).status_code == 404
    assert api.post(f"/v1/workflows/{workflow_id}/publish", headers=other).status_code == 404
    assert api.post(f"/v1/workflows/{workflow_id}/executions", headers=other, json={}).status_code == 404
    assert api.delete(f"/v1/workflows/{workflow_id}", headers=other).status_code == 404
    assert api.get("/v1/workflows", headers=other).json()["items"] == []

    parent = {
        "name": "borrower",
        "nodes": [node("start", "manual"), node("borrow", "subworkflow", workflow_id=workflow_id)],
        "edges": chain("start", "borrow"),
    }
    refused = api.post("/v1/workflows", headers=other, json=parent)
    assert refused.status_code == 422
    assert [param["name"] for param in refused.json()["invalid-params"]] == ["/nodes/1/params/workflow_id"]

    accepted = api.post("/v1/workflows", headers=owner, json=parent)
    assert accepted.status_code == 201, accepted.text
    parent_id = accepted.json()["id"]
    assert api.post(f"/v1/workflows/{parent_id}/publish", headers=owner).status_code == 201
    assert run_to_end(api, owner, parent_id)["output"] == {"said": "mine"}


@pytest.mark.parametrize("settings", [[None, None], "express", 7])
def test_settings_that_are_not_an_object_are_a_422_naming_them(
    api: TestClient, owner: dict[str, str], settings: Any
) -> None:
    document = {"name": "odd", "nodes": [node("start", "manual")], "settings": settings}
    for path in ("/v1/workflows", "/v1/workflows/validate"):
        response = api.post(path, headers=owner, json=document)
        assert response.status_code == 422, response.text
        assert [param["name"] for param in response.json()["invalid-params"]] == ["/settings"]


def test_the_workflow_schema_is_served_without_credentials(api: TestClient) -> None:
    response = api.get("/v1/workflow-schema")
    assert response.status_code == 200
    assert response.json()["$id"] == "https://nexus-forge.dev/schemas/workflow/v1"


def test_publish_and_rollback_of_a_workflow_whose_state_machine_is_gone_are_a_409_saying_so(
    api: TestClient, owner: dict[str, str]
) -> None:
    workflow_id = api.post("/v1/workflows", headers=owner, json=greeting("hello")).json()["id"]
    assert api.post(f"/v1/workflows/{workflow_id}/publish", headers=owner).status_code == 201
    sfn = boto3.client("stepfunctions", region_name=LOCAL_REGION)
    (machine,) = [entry for entry in sfn.list_state_machines()["stateMachines"] if entry["name"].endswith(workflow_id)]
    sfn.delete_state_machine(stateMachineArn=machine["stateMachineArn"])

    for path, body in (("publish", {}), ("rollback", {"version": 1})):
        refused = api.post(f"/v1/workflows/{workflow_id}/{path}", headers=owner, json=body)

        assert refused.status_code == 409, refused.text
        problem = refused.json()
        assert problem["type"].endswith("/problems/state-machine-missing")
        assert workflow_id in problem["detail"] and "import" in problem["detail"]


def test_notify_and_emit_event_naming_the_platforms_topic_or_the_default_bus_are_a_422_naming_the_field(
    api: TestClient, owner: dict[str, str]
) -> None:
    document = {
        "name": "reach-out",
        "nodes": [
            node("start", "manual"),
            node("page", "notify", topic_arn="arn:aws:sns:us-east-1:123456789012:nexus-forge-local-alarms"),
            node("shout", "emit_event", detail_type="x", event_bus="default"),
        ],
        "edges": chain("start", "page", "shout"),
    }
    response = api.post("/v1/workflows/validate", headers=owner, json=document)
    assert response.status_code == 422
    reasons = {param["name"]: param["reason"] for param in response.json()["invalid-params"]}
    assert set(reasons) == {"/nodes/1/params/topic_arn", "/nodes/2/params/event_bus"}
    assert all("the tenant's own" in reason for reason in reasons.values())
