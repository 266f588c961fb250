"""The builder's test run, versions (diff on the canvas, rollback) and expression editor's completion from the last
run, and redriving a failed execution, in headless chromium against a running `forge dev`."""

from __future__ import annotations

import itertools
import re
from typing import Any

import httpx
import pytest

from devserver.issuer import LocalIssuer
from tests.e2e.console.conftest import Tenant, sign_in, snapshot
from tests.helpers import wait_until
from tests.workflows.fixtures import echo_server

__all__ = ["echo_server"]

pytestmark = pytest.mark.e2e


def greeting(expression: str, *extra: dict[str, Any]) -> dict[str, Any]:
    nodes = [
        {"id": "start", "type": "manual", "position": {"x": 0, "y": 0}},
        {"id": "shape", "type": "transform", "params": {"expression": expression}, "position": {"x": 250, "y": 0}},
        *extra,
    ]
    chain = [node["id"] for node in nodes]
    edges = [{"from": source, "to": target} for source, target in itertools.pairwise(chain)]
    return {"name": "greeting", "nodes": nodes, "edges": edges}


def publish(tenant: Tenant, workflow_id: str, note: str) -> None:
    published = tenant.owner.post(f"/v1/workflows/{workflow_id}/publish", json={"note": note})
    assert published.status_code == 201, published.text


def open_builder(page: Any, tenant: Tenant, workflow_id: str) -> None:
    sign_in(page, tenant)
    page.goto(f"/workflows/{workflow_id}")
    page.get_by_test_id("node-shape").wait_for()


def run_to_end(tenant: Tenant, workflow_id: str, data: dict[str, Any]) -> dict[str, Any]:
    started = tenant.owner.post(f"/v1/workflows/{workflow_id}/executions", json={"input": data})
    assert started.status_code == 202, started.text
    execution_id = started.json()["execution_id"]
    ended: dict[str, Any] = wait_until(
        lambda: tenant.owner.get(f"/v1/executions/{execution_id}").json(), lambda record: record["status"] != "RUNNING"
    )
    return ended


def test_a_test_run_of_the_draft_shows_each_nodes_output_on_the_canvas(page: Any, tenant: Tenant) -> None:
    created = tenant.owner.post("/v1/workflows", json=greeting("{'greeting': 'hi ' & $states.input.name}"))
    workflow_id = created.json()["id"]
    open_builder(page, tenant, workflow_id)

    page.get_by_role("button", name="Test draft").click()
    page.get_by_label("Sample input (JSON)").fill('{"name": "Ada"}')
    page.get_by_role("button", name="Start test").click()
    page.get_by_test_id("test-run-status").filter(has_text="Test run succeeded").wait_for()
    shape = page.get_by_test_id("tested-shape")
    assert "SUCCEEDED" in shape.inner_text()
    assert '{"greeting":"hi Ada"}' in shape.inner_text()
    assert '{"name":"Ada"}' in page.get_by_test_id("tested-start").inner_text()
    snapshot(page, "builder-test-run")
    # Nothing was published or recorded as an execution.
    assert tenant.owner.get(f"/v1/workflows/{workflow_id}").json()["latest_version"] is None
    assert tenant.owner.get("/v1/executions", params={"workflow_id": workflow_id}).json()["items"] == []


def test_a_diff_of_two_versions_marks_the_changed_node_and_rollback_makes_the_old_graph_current(
    page: Any, tenant: Tenant
) -> None:
    created = tenant.owner.post("/v1/workflows", json=greeting("{'v': 1}"))
    workflow_id = created.json()["id"]
    publish(tenant, workflow_id, "first")
    added = {"id": "done", "type": "succeed", "position": {"x": 500, "y": 0}}
    assert tenant.owner.put(f"/v1/workflows/{workflow_id}", json=greeting("{'v': 2}", added)).status_code == 200
    publish(tenant, workflow_id, "second")
    open_builder(page, tenant, workflow_id)

    page.get_by_role("button", name="Versions").click()
    first = page.get_by_test_id("version-1")
    first.get_by_text("first").wait_for()
    assert "live" in page.get_by_test_id("version-2").inner_text()
    cost = first.get_by_test_id("version-cost").inner_text()
    assert re.fullmatch(r"\$[\d.,]+(\u2013\$[\d.,]+)? per 1M standard runs", cost), cost
    snapshot(page, "builder-versions")

    page.get_by_role("button", name="Show diff").click()
    diff = page.get_by_test_id("diff-canvas")
    diff.locator("[data-testid='node-shape'][data-diff='changed']").wait_for()
    assert "changed: params" in diff.get_by_test_id("node-shape").inner_text()
    assert diff.get_by_test_id("node-done").get_attribute("data-diff") == "added"
    assert diff.get_by_test_id("node-start").get_attribute("data-diff") == ""
    assert page.locator(".react-flow__edge.diff-added").count() == 1
    snapshot(page, "builder-diff")

    page.get_by_role("button", name="Close diff").click()
    first.get_by_role("button", name="Roll back to v1").click()
    page.get_by_role("alertdialog", name="Roll back to v1").get_by_role("button", name="Confirm rollback").click()
    page.get_by_text("Rolled back: version 1 is live and its graph is the draft.").wait_for()
    page.get_by_test_id("node-done").wait_for(state="detached")
    first.get_by_text("live", exact=True).wait_for()
    assert tenant.owner.get(f"/v1/workflows/{workflow_id}").json()["live_version"] == 1
    # The draft follows the canvas by autosave: publishing next starts from the rolled-back graph.
    draft = wait_until(
        lambda: tenant.owner.get(f"/v1/workflows/{workflow_id}").json()["definition"],
        lambda definition: len(definition["nodes"]) == 2,
    )
    assert draft["nodes"][1]["params"] == {"expression": "{'v': 1}"}


def test_the_expression_editor_completes_a_path_from_the_last_execution(page: Any, tenant: Tenant) -> None:
    created = tenant.owner.post("/v1/workflows", json=greeting("{'greeting': 'hi ' & $states.input.name}"))
    workflow_id = created.json()["id"]
    publish(tenant, workflow_id, "first")
    assert run_to_end(tenant, workflow_id, {"name": "Ada", "order": {"id": 7}})["status"] == "SUCCEEDED"
    open_builder(page, tenant, workflow_id)

    page.get_by_test_id("node-shape").click()
    page.get_by_test_id("completion-source").wait_for()
    editor = page.get_by_label("Expression *")
    editor.click()
    page.keyboard.press("Control+End")
    page.keyboard.press("Backspace")
    page.keyboard.type(", 'order': $states.input.or")
    option = page.get_by_role("option", name="$states.input.order.id")
    option.wait_for()
    assert page.locator(".jsonata-variable").first.inner_text() == "$states"
    snapshot(page, "builder-expression-completion")
    option.click()
    assert editor.inner_text() == "{'greeting': 'hi ' & $states.input.name, 'order': $states.input.order.id"


def allow_hosts(tenant: Tenant, hosts: list[str]) -> None:
    admin = LocalIssuer(tenant.platform.state_dir).mint("e2e-admin", platform_admin=True)
    changed = httpx.patch(
        f"{tenant.platform.url}/v1/tenants/{tenant.tenant_id}",
        headers={"authorization": f"Bearer {admin}"},
        json={"settings": {"http_allowed_hosts": hosts}},
    )
    assert changed.status_code == 200, changed.text


def test_redrive_runs_a_failed_execution_again_from_its_failed_step(
    page: Any, tenant: Tenant, echo_server: str
) -> None:
    created = tenant.owner.post(
        "/v1/workflows",
        json={
            "name": "fetching",
            "nodes": [
                {"id": "start", "type": "manual"},
                {"id": "call", "type": "http_request", "params": {"method": "POST", "url": f"{echo_server}/hook"}},
            ],
            "edges": [{"from": "start", "to": "call"}],
        },
    )
    workflow_id = created.json()["id"]
    publish(tenant, workflow_id, "first")
    # The tenant does not allow requests to 127.0.0.1 yet: the call fails (the SSRF guard blocks it).
    failed = run_to_end(tenant, workflow_id, {})
    assert (failed["status"], failed["failed_node"]) == ("FAILED", "call")
    allow_hosts(tenant, ["127.0.0.1"])
    try:
        sign_in(page, tenant, role="viewer")
        page.goto(f"/executions/{failed['execution_id']}")
        page.get_by_test_id("execution-status").filter(has_text="FAILED").wait_for()
        assert page.get_by_role("button", name="Redrive").count() == 0
        sign_in(page, tenant, role="editor")
        page.goto(f"/executions/{failed['execution_id']}")
        page.get_by_test_id("execution-status").filter(has_text="FAILED").wait_for()
        snapshot(page, "execution-redrivable")
        page.get_by_role("button", name="Redrive").click()
        page.get_by_test_id("execution-status").filter(has_text="SUCCEEDED").wait_for()
        page.locator("[data-testid='node-call'][data-status='SUCCEEDED']").wait_for()
        assert page.get_by_role("button", name="Redrive").count() == 0
    finally:
        allow_hosts(tenant, [])
    assert tenant.owner.get(f"/v1/executions/{failed['execution_id']}").json()["redrive_count"] == 1
