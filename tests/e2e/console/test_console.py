"""The web console in headless chromium against a running `forge dev`: what a person does with it, click by click."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.console.conftest import Tenant, sign_in, snapshot
from tests.helpers import wait_until

pytestmark = pytest.mark.e2e


def drag_to_canvas(page: Any, node_type: str, x: int, y: int) -> None:
    page.get_by_test_id(f"library-{node_type}").drag_to(page.get_by_test_id("canvas"), target_position={"x": x, "y": y})


def connect(page: Any, source: str, target: str, port: str = "out") -> None:
    """Drags from `source`'s output port onto `target`'s input, as a person connects two nodes."""
    start = page.locator(f".react-flow__handle[data-nodeid='{source}'][data-handleid='{port}']").bounding_box()
    end = page.locator(f".react-flow__handle[data-nodeid='{target}'][data-handlepos='left']").bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + end["height"] / 2, steps=10)
    page.mouse.up()


def publish_api_workflow(tenant: Tenant, document: dict[str, Any]) -> str:
    created = tenant.owner.post("/v1/workflows", json=document)
    assert created.status_code == 201, created.text
    workflow_id: str = created.json()["id"]
    assert tenant.owner.post(f"/v1/workflows/{workflow_id}/publish", json={}).status_code == 201
    return workflow_id


def test_build_a_workflow_fix_its_problem_publish_and_watch_it_run(page: Any, tenant: Tenant) -> None:
    sign_in(page, tenant)
    snapshot(page, "workflows-empty")
    page.get_by_role("link", name="New workflow").click()
    page.get_by_test_id("library-manual").wait_for()
    page.get_by_label("Name", exact=True).first.fill("greeting")
    drag_to_canvas(page, "manual", 40, 260)
    drag_to_canvas(page, "transform", 250, 120)
    drag_to_canvas(page, "transform", 450, 260)
    drag_to_canvas(page, "succeed", 600, 60)
    for node_id in ("manual_1", "transform_1", "transform_2", "succeed_1"):
        page.get_by_test_id(f"node-{node_id}").wait_for()
    connect(page, "manual_1", "transform_1")
    connect(page, "transform_1", "transform_2")
    # A connection the server would refuse is refused while dragging, with the reason, and no edge appears.
    connect(page, "transform_2", "transform_1")
    page.get_by_text("Connection refused: transform_2 → transform_1 would close a cycle").wait_for()
    assert page.locator(".react-flow__edge").count() == 2
    connect(page, "transform_2", "succeed_1")
    assert page.locator(".react-flow__edge").count() == 3
    page.keyboard.press("Control+z")
    assert page.locator(".react-flow__edge").count() == 2
    page.keyboard.press("Control+Shift+z")
    assert page.locator(".react-flow__edge").count() == 3
    page.get_by_test_id("node-succeed_1").click()
    page.keyboard.press("Control+c")
    page.keyboard.press("Control+v")
    page.get_by_test_id("node-succeed_2").wait_for()
    page.keyboard.press("Control+z")
    page.get_by_test_id("node-succeed_2").wait_for(state="detached")

    # Both transforms lack their expression: the server's findings land on those nodes and nowhere else.
    page.get_by_test_id("validity").filter(has_text="Has problems").wait_for()
    assert page.get_by_test_id("node-transform_1").get_by_role("note").inner_text() == "1 problem"
    assert page.get_by_test_id("node-manual_1").get_by_role("note").count() == 0
    page.get_by_test_id("node-transform_1").click()
    expression = page.get_by_label("Expression *")
    page.locator(".field[data-field='expression'] .field-problem").filter(has_text="Field required").wait_for()
    snapshot(page, "builder-problem")
    expression.fill("{'greeting': 'hello'}")
    page.get_by_test_id("node-transform_2").click()
    page.get_by_label("Expression *").fill("$merge([$states.input, {'done': true}])")
    page.get_by_test_id("validity").filter(has_text="Valid").wait_for()
    assert page.get_by_test_id("node-transform_1").get_by_role("note").count() == 0

    page.get_by_label("Note").fill("first version")
    page.get_by_role("button", name="Publish").click()
    page.get_by_text("Published version 1: it is live.").wait_for()
    snapshot(page, "builder-published")
    # The draft follows each change by itself once saved; the live version stays the published one.
    workflow_id = page.url.rsplit("/", 1)[1]
    page.get_by_label("Name", exact=True).first.fill("greeting-v2")
    page.get_by_text("Draft saved automatically.").wait_for()
    assert tenant.owner.get(f"/v1/workflows/{workflow_id}").json()["definition"]["name"] == "greeting-v2"
    page.get_by_role("button", name="Run").click()

    page.wait_for_url(re.compile(r"/executions/"))
    for node_id in ("manual_1", "transform_1", "transform_2", "succeed_1"):
        page.locator(f"[data-testid='node-{node_id}'][data-status='SUCCEEDED']").wait_for()
    page.get_by_test_id("execution-status").filter(has_text="SUCCEEDED").wait_for()
    snapshot(page, "execution-succeeded")
    page.get_by_test_id("node-transform_2").click()
    assert '"done": true' in page.get_by_role("complementary", name="Step").inner_text()


def test_a_failed_execution_highlights_the_node_it_failed_at(page: Any, tenant: Tenant) -> None:
    workflow_id = publish_api_workflow(
        tenant,
        {
            "name": "doomed",
            "nodes": [
                {"id": "start", "type": "manual"},
                {"id": "prepare", "type": "transform", "params": {"expression": "{'x': 1}"}},
                {"id": "stop_here", "type": "fail", "params": {"error": "Doomed", "cause": "on purpose"}},
            ],
            "edges": [{"from": "start", "to": "prepare"}, {"from": "prepare", "to": "stop_here"}],
        },
    )
    started = tenant.owner.post(f"/v1/workflows/{workflow_id}/executions", json={"input": {}})
    execution_id = started.json()["execution_id"]
    wait_until(lambda: tenant.owner.get(f"/v1/executions/{execution_id}").json()["status"], lambda s: s != "RUNNING")
    sign_in(page, tenant)
    page.get_by_role("link", name="Executions").click()
    page.get_by_label("Status").select_option("FAILED")
    page.get_by_role("link", name=execution_id).click()
    failed = page.get_by_test_id("node-stop_here")
    failed.wait_for()
    page.get_by_test_id("execution-status").filter(has_text="FAILED").wait_for()
    assert "failed here" in (failed.get_attribute("aria-label") or "")
    assert "failed" in (failed.get_attribute("class") or "")
    assert "failed here" not in (page.get_by_test_id("node-prepare").get_attribute("aria-label") or "")
    snapshot(page, "execution-failed")


def test_approve_a_pending_approval_from_the_inbox(page: Any, tenant: Tenant) -> None:
    workflow_id = publish_api_workflow(
        tenant,
        {
            "name": "refund",
            "nodes": [
                {"id": "start", "type": "manual"},
                {"id": "sign_off", "type": "approval", "params": {"message": "Refund 40 EUR?", "approvers": ["admin"]}},
            ],
            "edges": [{"from": "start", "to": "sign_off"}],
        },
    )
    execution_id = tenant.owner.post(f"/v1/workflows/{workflow_id}/executions", json={"input": {}}).json()[
        "execution_id"
    ]
    wait_until(lambda: tenant.owner.get("/v1/approvals", params={"status": "pending"}).json()["items"], bool, 30)
    sign_in(page, tenant)
    page.get_by_role("link", name="Approvals").click()
    card = page.get_by_test_id("approval").filter(has_text="Refund 40 EUR?")
    card.wait_for()
    snapshot(page, "approvals-pending")
    card.get_by_label("Comment").fill("fine")
    card.get_by_role("button", name="Approve").click()
    page.get_by_text("Nothing waits for an answer.").wait_for()
    status = wait_until(
        lambda: tenant.owner.get(f"/v1/executions/{execution_id}").json()["status"], lambda s: s != "RUNNING", 30
    )
    assert status == "SUCCEEDED"


def test_a_new_webhook_shows_its_secret_once(page: Any, tenant: Tenant) -> None:
    workflow_id = publish_api_workflow(
        tenant,
        {
            "name": "hooked",
            "nodes": [{"id": "start", "type": "webhook"}, {"id": "done", "type": "succeed"}],
            "edges": [{"from": "start", "to": "done"}],
        },
    )
    sign_in(page, tenant)
    page.get_by_role("link", name="Webhooks").click()
    page.get_by_text("No webhooks yet.").wait_for()
    page.get_by_label("Name").fill("orders")
    page.get_by_label("Workflow id").fill(workflow_id)
    page.get_by_role("button", name="Create webhook").click()
    secret = page.get_by_test_id("secret").inner_text()
    assert len(secret) >= 24
    page.get_by_role("cell", name="orders").wait_for()
    snapshot(page, "webhook-secret")
    page.reload()
    page.get_by_role("cell", name="orders").wait_for()
    assert page.get_by_test_id("secret").count() == 0
    assert secret not in page.content()


def test_a_credential_of_any_kind_is_stored_from_its_form_and_never_shown_again(page: Any, tenant: Tenant) -> None:
    sign_in(page, tenant)
    page.goto("/credentials?name=acme_api&kind=api_key_header")  # where the marketplace's install dialog links
    page.get_by_role("form", name="New credential").wait_for()
    assert page.get_by_label("Name", exact=True).input_value() == "acme_api"
    page.get_by_label("Header name").fill("X-Acme-Key")
    page.get_by_label("Key", exact=True).fill("k3y-that-stays-secret")
    page.get_by_role("button", name="Store credential").click()
    page.get_by_role("cell", name="acme_api").wait_for()
    page.get_by_role("cell", name="api_key_header").wait_for()
    page.get_by_label("Name", exact=True).fill("partner")
    page.get_by_label("Kind").select_option("custom_headers")
    page.get_by_label("Header 1 name").fill("X-Partner")
    page.get_by_label("Header 1 value").fill("p4rtner-secret")
    page.get_by_role("button", name="Store credential").click()
    page.get_by_role("cell", name="custom_headers").wait_for()
    stored = {item["name"]: item["kind"] for item in tenant.owner.get("/v1/credentials").json()["items"]}
    assert (stored["acme_api"], stored["partner"]) == ("api_key_header", "custom_headers")
    page.reload()
    page.get_by_role("cell", name="partner").wait_for()
    assert "k3y-that-stays-secret" not in page.content() and "p4rtner-secret" not in page.content()


def test_a_viewer_sees_actions_its_role_may_not_use_disabled(page: Any, tenant: Tenant) -> None:
    sign_in(page, tenant, role="viewer")
    assert page.get_by_role("link", name="New workflow").count() == 0
    page.get_by_role("link", name="Webhooks").click()
    page.get_by_role("heading", name="Webhooks").wait_for()
    assert page.get_by_role("button", name="Create webhook").count() == 0


def test_every_page_draws_without_serious_accessibility_violations(page: Any, tenant: Tenant) -> None:
    page.goto("/sign-in")
    page.get_by_role("heading", name="Sign in to Nexus Forge").wait_for()
    snapshot(page, "sign-in")
    sign_in(page, tenant)
    for link, heading in (
        ("Executions", "Executions"),
        ("Schedules", "Schedules"),
        ("Credentials", "Credentials"),
        ("API keys", "API keys"),
        ("Members", "Members"),
    ):
        page.get_by_role("link", name=link, exact=True).click()
        page.get_by_role("heading", name=heading, exact=True).wait_for()
        page.get_by_text("Loading…").wait_for(state="detached")
        snapshot(page, link.lower().replace(" ", "-"))


def test_editing_a_workflow_keeps_what_the_canvas_does_not_draw(page: Any, tenant: Tenant) -> None:
    created = tenant.owner.post(
        "/v1/workflows",
        json={
            "name": "nightly",
            "description": "runs every night",
            "settings": {"timeout_seconds": 600},
            "nodes": [{"id": "start", "type": "manual"}, {"id": "done", "type": "succeed"}],
            "edges": [{"from": "start", "to": "done"}],
        },
    )
    workflow_id = created.json()["id"]
    sign_in(page, tenant)
    page.get_by_role("link", name="nightly").click()
    page.get_by_test_id("node-done").wait_for()
    page.get_by_label("Name", exact=True).first.fill("nightly-report")
    page.get_by_text("Draft saved automatically.").wait_for()
    definition = tenant.owner.get(f"/v1/workflows/{workflow_id}").json()["definition"]
    assert definition["name"] == "nightly-report"
    assert definition["description"] == "runs every night"
    assert definition["settings"]["timeout_seconds"] == 600
