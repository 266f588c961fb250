"""A running `forge dev` with a tenant, and headless Debian chromium driven by Playwright (never a downloaded
browser). Without chromium or a built console these tests skip, saying which; under `make test` (which installs
and builds both) they fail instead."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from devserver.console import CONSOLE_DIST
from devserver.issuer import LocalIssuer
from devserver.subprocess_platform import LocalPlatform
from shared.auth.principal import Role
from shared.resources import PROJECT_ROOT

ARTEFACTS = PROJECT_ROOT / ".artefacts" / "console"
AXE_SCRIPT = PROJECT_ROOT / "console" / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = ("serious", "critical")


def chromium_path() -> str | None:
    configured = os.environ.get("CHROMIUM")
    return configured if configured and Path(configured).exists() else shutil.which("chromium")


def _missing(reason: str) -> None:
    if os.environ.get("FORGE_CONSOLE_E2E_REQUIRED"):
        pytest.fail(reason)
    pytest.skip(reason)


@dataclass
class Tenant:
    platform: LocalPlatform
    tenant_id: str
    owner: httpx.Client


@pytest.fixture(scope="module")
def tenant(request: pytest.FixtureRequest) -> Iterator[Tenant]:
    """A tenant of each module's own on the shared platform: what one module's tests make, another's never sees."""
    if not (CONSOLE_DIST / "index.html").is_file():
        _missing("the console is not built: make console")
    platform: LocalPlatform = request.getfixturevalue("shared_platform")
    slug = "console-" + request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_").replace("_", "-")
    issuer = LocalIssuer(platform.state_dir)
    admin = {"authorization": f"Bearer {issuer.mint('e2e-admin', platform_admin=True)}"}
    created = httpx.post(
        f"{platform.url}/v1/tenants",
        headers=admin,
        json={"slug": slug, "display_name": "Console", "tier": "enterprise", "owner": {"subject": "ada"}},
    )
    assert created.status_code == 201, created.text
    tenant_id = created.json()["tenant_id"]
    token = issuer.mint("ada", tenant_id=tenant_id, role=Role.OWNER)
    owner = httpx.Client(base_url=platform.url, headers={"authorization": f"Bearer {token}"}, timeout=30.0)
    yield Tenant(platform, tenant_id, owner)
    owner.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = chromium_path()
    if executable is None:
        _missing("the console's browser tests need the 'chromium' package (Debian: apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, tenant: Tenant) -> Iterator[Any]:
    # bypass_csp: axe-core is injected as an inline script, which the console's policy rightly refuses.
    context = browser.new_context(
        base_url=tenant.platform.url, viewport={"width": 1280, "height": 800}, bypass_csp=True
    )
    opened = context.new_page()
    opened.set_default_timeout(20_000)
    yield opened
    context.close()


def sign_in(page: Any, tenant: Tenant, role: str = "owner") -> None:
    page.goto("/sign-in")
    page.get_by_label("User (subject)").fill("ada")
    page.get_by_label("Tenant id").fill(tenant.tenant_id)
    page.get_by_label("Role").select_option(role)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Workflows").wait_for()


def snapshot(page: Any, name: str) -> None:
    """A screenshot kept as a test artefact, and axe-core's check: no serious or critical violation."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)
    if not AXE_SCRIPT.is_file():
        _missing("axe-core is not installed: make console (npm ci in console/)")
    page.add_script_tag(path=str(AXE_SCRIPT))
    violations = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"
    )
    serious = [violation for violation in violations if violation["impact"] in SERIOUS]
    assert serious == [], f"{name}: {serious}"
