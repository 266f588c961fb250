"""The console's operations pages and its sign-in, in headless chromium against a running `forge dev`: the audit
log, usage against the tier's quotas, the platform admin's tenants, each respecting the caller's role."""

from __future__ import annotations

import re
from typing import Any

import pytest

from devserver.issuer import LocalIssuer
from tests.e2e.console.conftest import Tenant, sign_in, snapshot
from tests.e2e.console.test_console import publish_api_workflow
from tests.helpers import wait_until

pytestmark = pytest.mark.e2e


def sign_in_as_platform_admin(page: Any) -> None:
    page.goto("/sign-in")
    page.get_by_label("User (subject)").fill("root")
    page.get_by_label("Platform admin").check()
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Tenants").wait_for()


def test_signing_in_goes_through_the_authorize_page_with_pkce(page: Any, tenant: Tenant) -> None:
    page.goto("/executions")
    page.wait_for_url(re.compile(r"/oauth2/authorize\?.*code_challenge_method=S256"))
    assert "code_verifier" not in page.url
    page.get_by_label("User (subject)").fill("ada")
    page.get_by_label("Tenant id").fill(tenant.tenant_id)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Workflows").wait_for()
    assert page.get_by_text("ada · owner").is_visible()
    stored = page.evaluate("() => JSON.stringify(Object.assign({}, sessionStorage, localStorage))")
    assert "nf_" not in stored and "nexus-forge.sign-in" not in stored  # no API key; the verifier spent
    # A callback this tab did not start (a forged redirect) is refused, whatever its code.
    page.goto("/callback?code=stolen&state=forged")
    page.get_by_role("alert").filter(has_text="state does not match").wait_for()


def test_the_audit_log_shows_what_was_just_done(page: Any, tenant: Tenant) -> None:
    sign_in(page, tenant)
    page.get_by_role("link", name="Members").click()
    page.get_by_label("Subject").fill("grace")
    page.get_by_role("button", name="Add member").click()
    page.get_by_role("cell", name="grace", exact=True).wait_for()
    page.get_by_role("link", name="Audit log").click()
    event = page.get_by_test_id("audit-event").filter(has_text="POST /v1/members").first
    event.wait_for()
    assert "ada" in event.inner_text() and "201" in event.inner_text()
    snapshot(page, "audit-log")


def test_usage_counts_the_months_executions_against_the_quota(page: Any, tenant: Tenant) -> None:
    workflow_id = publish_api_workflow(
        tenant,
        {
            "name": "counted",
            "nodes": [{"id": "start", "type": "manual"}, {"id": "done", "type": "succeed"}],
            "edges": [{"from": "start", "to": "done"}],
        },
    )
    execution_id = tenant.owner.post(f"/v1/workflows/{workflow_id}/executions", json={"input": {}}).json()[
        "execution_id"
    ]
    wait_until(lambda: tenant.owner.get(f"/v1/executions/{execution_id}").json()["status"], lambda s: s != "RUNNING")
    # The month is counted from the executions table's stream, which forge dev delivers to the counter as Lambda
    # does: once the mapping's batching window (10 s) has passed since the oldest waiting record.
    report = wait_until(
        lambda: tenant.owner.get("/v1/usage").json(), lambda usage: usage["executions"] >= 1, timeout=40
    )
    sign_in(page, tenant, role="viewer")
    page.get_by_role("link", name="Usage").click()
    executions = page.get_by_test_id("usage-executions")
    executions.wait_for()
    shown = " ".join(executions.inner_text().split())
    assert f"Executions: {report['executions']:,} of {report['quotas']['executions']:,}" in shown
    assert report["executions"] >= 1
    page.get_by_test_id("workflow-usage").filter(has_text=workflow_id).wait_for()
    snapshot(page, "usage")


def test_a_platform_admin_creates_suspends_and_resumes_a_tenant(page: Any, tenant: Tenant) -> None:
    sign_in_as_platform_admin(page)
    page.get_by_label("Slug").fill("acme")
    page.get_by_label("Display name").fill("Acme")
    page.get_by_label("Owner (subject)").fill("wile")
    page.get_by_role("button", name="Create tenant").click()
    page.get_by_role("status").filter(has_text="Tenant acme created").wait_for()
    row = page.locator("[data-testid='tenant'][data-tenant='acme']")
    row.get_by_test_id("tenant-status").filter(has_text="active").wait_for()
    snapshot(page, "tenants")
    row.get_by_role("button", name="Suspend").click()
    row.get_by_test_id("tenant-status").filter(has_text="suspended").wait_for()
    row.get_by_label("Tier of acme").select_option("professional")
    row.get_by_role("button", name="Change tier").click()
    row.get_by_role("button", name="Resume").click()
    row.get_by_test_id("tenant-status").filter(has_text="active").wait_for()
    page.goto("/")
    page.wait_for_url(re.compile(r"/tenants$"))
    admin = LocalIssuer(tenant.platform.state_dir).mint("root", platform_admin=True)
    acme = tenant.owner.get(
        f"/v1/tenants/{row.locator('code').inner_text()}", headers={"authorization": f"Bearer {admin}"}
    ).json()
    assert (acme["status"], acme["tier"]) == ("active", "professional")


def test_a_viewer_is_shown_the_apis_refusal_and_no_tenant_actions(page: Any, tenant: Tenant) -> None:
    sign_in(page, tenant, role="viewer")
    assert page.get_by_role("link", name="Tenants").count() == 0
    page.get_by_role("link", name="Audit log").click()
    page.get_by_role("alert").filter(has_text="Not allowed").wait_for()
    page.goto("/tenants")
    page.get_by_role("heading", name="Tenants").wait_for()
    page.get_by_role("alert").wait_for()
    assert page.get_by_role("button", name="Create tenant").count() == 0
    snapshot(page, "tenants-refused")
