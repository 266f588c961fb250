"""The console's marketplace pages in headless chromium against a running `forge dev`: a template published through
the API is found by a sentence, opened (listing, versions, scan report) and installed as a draft workflow."""

from __future__ import annotations

import re
from typing import Any

import pytest

from shared.marketplace.signing import generate_key_pair
from tests.e2e.console.conftest import Tenant, sign_in, snapshot
from tests.helpers import wait_until
from tests.integration.marketplace.test_install_api import greeting_template
from tests.integration.marketplace.test_publishing_api import signed_upload

pytestmark = pytest.mark.e2e

SENTENCE = "welcome a person by name on behalf of a team"


def publish_greeting(tenant: Tenant) -> None:
    private_pem, public_key = generate_key_pair()
    claimed = tenant.owner.put("/v1/marketplace/namespaces/acme", json={"public_key": public_key})
    assert claimed.status_code == 200, claimed.text
    published = tenant.owner.post(
        "/v1/marketplace/items/acme/greeting/versions",
        json=signed_upload(greeting_template(), {"README.md": b"# Greeting\n"}, private_pem),
        timeout=60,
    )
    assert published.status_code == 202, published.text
    # The stream's scanner approves the version, then its indexer indexes it: the console searches once it has.
    wait_until(
        lambda: tenant.owner.get("/v1/marketplace/search", params={"q": SENTENCE}).json(),
        lambda page: any(hit["name"] == "greeting" for hit in page.get("items", [])),
        timeout=60,
    )


def test_find_a_template_by_a_sentence_open_it_and_install_it_as_a_draft(page: Any, tenant: Tenant) -> None:
    publish_greeting(tenant)
    sign_in(page, tenant)
    page.get_by_role("link", name="Marketplace").click()
    search = page.get_by_label("Search the marketplace")
    search.fill("Gree")
    page.locator('#marketplace-suggestions option[value="Greeting"]').wait_for(state="attached")
    search.fill(SENTENCE)
    page.get_by_role("button", name="Search").click()
    hit = page.get_by_test_id("marketplace-hit").filter(has_text="Greeting").first
    hit.wait_for()
    kind = page.get_by_role("button", name=re.compile(r"^workflow_template"))  # the kind facet of the answer
    kind.click()
    page.get_by_role("button", name=re.compile(r"^workflow_template"), pressed=True).wait_for()
    hit.wait_for()
    snapshot(page, "marketplace-search")

    hit.get_by_role("link").click()
    page.get_by_role("heading", name="Greeting", exact=True).wait_for()
    assert page.get_by_text("unverified publisher").is_visible()
    version = page.get_by_test_id("marketplace-version").filter(has_text="1.0.0")
    assert "approved" in version.inner_text() and "publisher + platform" in version.inner_text()
    page.get_by_role("button", name="Scan report of 1.0.0").click()
    page.get_by_text("No findings.").wait_for()
    snapshot(page, "marketplace-item")

    page.get_by_label(re.compile(r"^team")).fill("Harbour")
    page.get_by_role("button", name="Install", exact=True).click()
    page.get_by_role("status").filter(has_text="acme_api").wait_for()  # the credential the tenant must create
    page.get_by_role("link", name="open the draft workflow").click()
    page.wait_for_url(re.compile(r"/workflows/[^/]+$"))
    workflow_id = page.url.rsplit("/", 1)[1]
    page.get_by_test_id("node-greet").wait_for()  # the draft drawn on the builder's canvas
    assert page.get_by_label("Name", exact=True).first.input_value() == "greeting"
    draft = tenant.owner.get(f"/v1/workflows/{workflow_id}").json()
    assert draft["live_version"] is None
    greet = next(node for node in draft["definition"]["nodes"] if node["id"] == "greet")
    assert "from Harbour" in greet["params"]["expression"]


def test_the_marketplace_shows_the_apis_problem_for_an_unknown_item(page: Any, tenant: Tenant) -> None:
    sign_in(page, tenant)
    page.goto("/marketplace/acme/no-such-item")
    page.get_by_role("alert").filter(has_text="No approved marketplace item acme/no-such-item").wait_for()
