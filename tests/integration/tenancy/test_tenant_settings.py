"""Tenant settings: the allowed hosts of the HTTP node are host names or addresses only, and settings are bounded."""

from __future__ import annotations

import pytest

from shared.auth.principal import Role
from shared.tenancy.tenant_settings import MAX_SETTINGS_BYTES
from tests.integration.tenancy.conftest import TenantWorld, make_tenant


@pytest.fixture
def world(api, issuer, admin_headers) -> TenantWorld:
    return make_tenant(api, issuer, admin_headers, "settings")


def _patch(api, world: TenantWorld, settings: object):
    return api.patch(f"/v1/tenants/{world.tenant_id}", headers=world.headers[Role.OWNER], json={"settings": settings})


@pytest.mark.parametrize(
    ("hosts", "field"),
    [
        (["169.254.169.254"], "/body/settings/http_allowed_hosts/0"),
        (["api.example.com", "fd00:ec2::254"], "/body/settings/http_allowed_hosts/1"),
        (["metadata.google.internal"], "/body/settings/http_allowed_hosts/0"),
        (["instance-data"], "/body/settings/http_allowed_hosts/0"),
        (["2002:a9fe:a9fe::"], "/body/settings/http_allowed_hosts/0"),
        (["*"], "/body/settings/http_allowed_hosts/0"),
        (["*.example.com"], "/body/settings/http_allowed_hosts/0"),
        (["https://api.example.com/x"], "/body/settings/http_allowed_hosts/0"),
        (None, "/body/settings/http_allowed_hosts"),
        ("api.example.com", "/body/settings/http_allowed_hosts"),
        ([42], "/body/settings/http_allowed_hosts/0"),
    ],
)
def test_allowed_hosts_that_are_not_plain_hosts_or_open_metadata_are_a_422_naming_the_entry(
    api, world, hosts, field
) -> None:
    response = _patch(api, world, {"http_allowed_hosts": hosts})
    assert response.status_code == 422, response.text
    assert field in [param["name"] for param in response.json()["invalid-params"]]
    settings = api.get(f"/v1/tenants/{world.tenant_id}", headers=world.headers[Role.OWNER]).json()["settings"]
    assert "http_allowed_hosts" not in settings


def test_allowed_hosts_are_kept_in_canonical_form_beside_the_tenants_own_keys(api, world) -> None:
    response = _patch(api, world, {"http_allowed_hosts": ["API.Example.com.", "127.0.0.1", "::1"], "team": "ops"})
    assert response.status_code == 200, response.text
    assert response.json()["settings"] == {"http_allowed_hosts": ["api.example.com", "127.0.0.1", "::1"], "team": "ops"}


def test_settings_over_the_size_bound_are_a_422_not_a_500(api, world) -> None:
    response = _patch(api, world, {"notes": "x" * 500_000})
    assert response.status_code == 422, response.text
    assert response.json()["invalid-params"][0]["name"] == "/body/settings"
    assert str(MAX_SETTINGS_BYTES) in response.json()["invalid-params"][0]["reason"]


@pytest.mark.parametrize("value", [0, "true", None])
def test_sharing_marketplace_performance_takes_only_a_boolean(api, world, value) -> None:
    refused = _patch(api, world, {"share_marketplace_performance": value})
    accepted = _patch(api, world, {"share_marketplace_performance": True})

    assert refused.status_code == 422, refused.text
    assert refused.json()["invalid-params"][0]["name"] == "/body/settings/share_marketplace_performance"
    assert accepted.json()["settings"]["share_marketplace_performance"] is True
