"""The console's marketplace pages in headless chromium against a running `forge dev`: a template published through
the API is found by a sentence, opened (listing, versions, scan report) and installed as a draft workflow through the
install dialog (its missing credential listed, a refused parameter shown under its field); a connector installed
mapping an existing credential; an update showing the API's plan before it is applied."""

from __future__ import annotations

import re
from typing import Any

import pytest

from shared.marketplace.signing import generate_key_pair
from tests.e2e.console.conftest import Tenant, sign_in, snapshot
from tests.helpers import wait_until
from tests.integration.marketplace.test_install_api import greeting_template
from tests.integration.marketplace.test_install_kinds import agent_manifest, petstore_connector
from tests.integration.marketplace.test_publishing_api import signed_upload

pytestmark = pytest.mark.e2e

SENTENCE = "welcome a person by name on behalf of a team"


@pytest.fixture(scope="module")
def acme_key(tenant: Tenant) -> bytes:
    """The namespace `acme`, claimed once for the module by the tenant: the private key its versions are signed with."""
    private_pem, public_key = generate_key_pair()
    claimed = tenant.owner.put("/v1/marketplace/namespaces/acme", json={"public_key": public_key})
    assert claimed.status_code == 200, claimed.text
    return private_pem


def publish(tenant: Tenant, acme_key: bytes, manifest: dict[str, Any], artefacts: dict[str, bytes]) -> None:
    """Publishes a version and waits until the stream's scanner approved it."""
    namespace, name, version = manifest["namespace"], manifest["name"], manifest["version"]
    published = tenant.owner.post(
        f"/v1/marketplace/items/{namespace}/{name}/versions",
        json=signed_upload(manifest, artefacts, acme_key),
        timeout=60,
    )
    assert published.status_code == 202, published.text
    scanned = wait_until(
        lambda: tenant.owner.get(f"/v1/marketplace/items/{namespace}/{name}/versions/{version}").json(),
        lambda found: found.get("status") != "pending",
        timeout=60,
    )
    assert scanned["status"] == "approved", scanned


def publish_greeting(tenant: Tenant, acme_key: bytes) -> None:
    publish(tenant, acme_key, greeting_template(), {"README.md": b"# Greeting\n"})
    # The stream's indexer indexes the approved version: the console searches once it has.
    wait_until(
        lambda: tenant.owner.get("/v1/marketplace/search", params={"q": SENTENCE}).json(),
        lambda page: any(hit["name"] == "greeting" for hit in page.get("items", [])),
        timeout=60,
    )


def test_find_a_template_by_a_sentence_open_it_and_install_it_as_a_draft(
    page: Any, tenant: Tenant, acme_key: bytes
) -> None:
    publish_greeting(tenant, acme_key)
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

    page.get_by_role("button", name="Install 1.0.0…").click()
    dialog = page.get_by_role("dialog", name="Install Greeting 1.0.0")
    missing = dialog.get_by_role("group", name="Missing credentials")
    assert "acme_api (bearer)" in missing.inner_text()
    assert (
        missing.get_by_role("link", name="create acme_api").get_attribute("href")
        == "/credentials?name=acme_api&kind=bearer"
    )
    team = dialog.get_by_label(re.compile(r"^team"))
    team.fill("H" * 41)  # the parameter's schema allows 40 characters: the API's 422 names /parameters/team
    dialog.get_by_role("button", name="Install", exact=True).click()
    dialog.get_by_role("alert").filter(has_text="does not match the parameter's schema").wait_for()
    assert team.get_attribute("aria-invalid") == "true"
    snapshot(page, "marketplace-install-dialog")
    team.fill("Harbour")
    dialog.get_by_role("button", name="Install", exact=True).click()
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


def test_a_connector_is_installed_mapping_an_existing_credential_of_its_kind(
    page: Any, tenant: Tenant, acme_key: bytes
) -> None:
    manifest, document = petstore_connector("https://petstore3.swagger.io/api/v3")
    publish(tenant, acme_key, manifest, {"openapi.json": document})
    stored = tenant.owner.post("/v1/credentials", json={"name": "pets", "secret": {"kind": "bearer", "token": "t0k"}})
    assert stored.status_code == 201, stored.text
    sign_in(page, tenant)

    page.goto("/marketplace/acme/petstore")
    page.get_by_role("button", name="Install 1.0.0…").click()
    dialog = page.get_by_role("dialog", name="Install Swagger Petstore 1.0.0")
    dialog.get_by_label("petstore_auth (bearer)").select_option("pets")
    assert "Adds 19 node presets" in dialog.inner_text()
    assert dialog.get_by_text("acme.petstore.getPetById").count() == 1
    dialog.get_by_role("button", name="Install", exact=True).click()
    dialog.get_by_role("status").filter(has_text="Added 19 node presets").wait_for()
    snapshot(page, "marketplace-install-connector")
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")

    (install,) = [
        found for found in tenant.owner.get("/v1/marketplace/installs").json()["items"] if found["name"] == "petstore"
    ]
    assert install["credentials"] == {"petstore_auth": "pets"} and install["missing_credentials"] == []
    page.get_by_text("Installed: version 1.0.0").wait_for()
    assert page.get_by_role("button", name="Install 1.0.0…").count() == 0  # updated from now on, not installed again


def test_an_update_shows_the_apis_plan_before_it_is_applied(page: Any, tenant: Tenant, acme_key: bytes) -> None:
    first = agent_manifest()
    publish(tenant, acme_key, first, {"README.md": b"# Summariser\n"})
    installed = tenant.owner.post(
        "/v1/marketplace/installs", json={"namespace": "acme", "name": "summariser", "version": "1.0.0"}
    )
    assert installed.status_code == 201, installed.text
    second = {**first, "version": "1.1.0", "agent": {**first["agent"], "system": "You summarise in five words."}}
    publish(tenant, acme_key, second, {"README.md": b"# Summariser\n"})
    sign_in(page, tenant)

    page.goto("/marketplace/acme/summariser")
    page.get_by_role("button", name="Update to 1.1.0").click()
    dialog = page.get_by_role("dialog", name="Update Summariser 1.0.0 → 1.1.0")
    plan = dialog.get_by_role("list", name="Update plan")
    plan.get_by_text("acme.summariser.agent").wait_for()
    assert plan.inner_text().split() == ["changed", "acme.summariser.agent"]
    assert tenant.owner.get(f"/v1/marketplace/installs/{installed.json()['install_id']}").json()["version"] == "1.0.0"
    dialog.get_by_role("button", name="Apply update").click()
    dialog.get_by_role("status").filter(has_text="Updated to 1.1.0.").wait_for()

    assert tenant.owner.get(f"/v1/marketplace/installs/{installed.json()['install_id']}").json()["version"] == "1.1.0"
