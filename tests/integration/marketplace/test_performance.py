"""Measured performance: an installed template's executions in tenants that share their performance add up on the
item, shown once five tenants contribute, never counting a tenant that did not opt in; the search index gets the
shown aggregate (a ranking signal) through the platform table's stream."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from devserver.table_stream_poller import TableStreamPoller
from shared.auth.principal import Role
from shared.marketplace.search.index import search_index
from tests.integration.marketplace.test_install_api import greeting_template
from tests.integration.marketplace.test_install_kinds import published
from tests.integration.workflows.test_workflow_api import run_to_end

_ITEM = "/v1/marketplace/items/acme/greeting"


def _tenant(api: TestClient, issuer: Any, admin_headers: dict[str, str], slug: str, *, shares: bool) -> dict[str, str]:
    """A tenant's owner headers, the tenant opted in to sharing its performance when `shares`."""
    created = api.post(
        "/v1/tenants",
        headers=admin_headers,
        json={"slug": slug, "display_name": slug.title(), "tier": "enterprise", "owner": {"subject": f"{slug}-o"}},
    )
    assert created.status_code == 201, created.text
    tenant_id = created.json()["tenant_id"]
    headers = {"authorization": f"Bearer {issuer.mint(f'{slug}-o', tenant_id=tenant_id, role=Role.OWNER)}"}
    if shares:
        patched = api.patch(
            f"/v1/tenants/{tenant_id}", headers=headers, json={"settings": {"share_marketplace_performance": True}}
        )
        assert patched.is_success, patched.text
    return headers


def _install_and_run(api: TestClient, headers: dict[str, str], name: str) -> dict[str, Any]:
    installed = api.post(
        "/v1/marketplace/installs",
        headers=headers,
        json={"namespace": "acme", "name": "greeting", "version": "1.0.0", "parameters": {"team": "Acme"}},
    )
    assert installed.status_code == 201, installed.text
    workflow_id = installed.json()["workflow_id"]
    assert api.post(f"/v1/workflows/{workflow_id}/publish", headers=headers, json={}).is_success
    finished = run_to_end(api, headers, workflow_id, {"name": name})
    assert finished["status"] == "SUCCEEDED", finished
    workflow: dict[str, Any] = api.get(f"/v1/workflows/{workflow_id}", headers=headers).json()
    return workflow


def _drain(stream: TableStreamPoller) -> None:
    while stream.poll_once():
        continue


def test_performance_shows_once_five_opted_in_tenants_ran_the_item_and_never_counts_one_that_did_not(
    api: TestClient,
    acme: tuple[dict[str, str], bytes],
    issuer: Any,
    admin_headers: dict[str, str],
    stream: TableStreamPoller,
) -> None:
    published(api, acme, stream, greeting_template())
    sharing = [_tenant(api, issuer, admin_headers, f"sharer{index}", shares=True) for index in range(5)]
    private = _tenant(api, issuer, admin_headers, "private", shares=False)

    workflow = _install_and_run(api, sharing[0], "Ada")
    for headers in sharing[1:4]:
        _install_and_run(api, headers, "Bo")
    _install_and_run(api, private, "Cy")
    with_four = api.get(_ITEM, headers=private).json()
    _drain(stream)
    (indexed_with_four, _) = search_index().stored(["acme/greeting"])["acme/greeting"]
    _install_and_run(api, sharing[4], "Di")
    with_five = api.get(_ITEM, headers=private).json()
    _drain(stream)
    (indexed_with_five, _) = search_index().stored(["acme/greeting"])["acme/greeting"]

    assert (workflow["marketplace_item"], workflow["marketplace_version"]) == ("acme/greeting", "1.0.0")
    assert with_four["performance"] is None and "5 tenants" in with_four["performance_hidden"]
    performance = with_five["performance"]
    assert with_five["performance_hidden"] is None
    assert (performance["tenants"], performance["executions"], performance["success_rate"]) == (5, 5, 1.0)
    assert 0 < performance["p50_ms"] <= performance["p95_ms"] and performance["tokens_per_run"] == 0
    # The 5th tenant's first execution passes the indexer's stream filter: the item ranks by what it now shows.
    assert (indexed_with_four.success_rate, indexed_with_five.success_rate) == (None, 1.0)
    assert indexed_with_five.executions == 5 and indexed_with_five.rank_factor() > 1


def test_updating_a_template_install_moves_the_workflows_marketplace_version(
    api: TestClient,
    acme: tuple[dict[str, str], bytes],
    issuer: Any,
    admin_headers: dict[str, str],
    stream: TableStreamPoller,
) -> None:
    published(api, acme, stream, greeting_template())
    published(api, acme, stream, {**greeting_template(), "version": "1.1.0"})
    buyer = _tenant(api, issuer, admin_headers, "buyer", shares=False)
    installed = api.post(
        "/v1/marketplace/installs",
        headers=buyer,
        json={"namespace": "acme", "name": "greeting", "version": "1.0.0", "parameters": {"team": "Acme"}},
    ).json()

    updated = api.post(
        f"/v1/marketplace/installs/{installed['install_id']}/update", headers=buyer, json={"version": "1.1.0"}
    )

    assert updated.is_success, updated.text
    workflow = api.get(f"/v1/workflows/{installed['workflow_id']}", headers=buyer).json()
    assert (workflow["marketplace_item"], workflow["marketplace_version"]) == ("acme/greeting", "1.1.0")
