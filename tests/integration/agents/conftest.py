"""The platform's API in the emulation and a fresh tenant's owner and viewer."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from devserver.api import create_platform_api
from devserver.issuer import LocalIssuer
from shared.auth.principal import Role


@dataclass(frozen=True)
class TenantMembers:
    owner: dict[str, str]
    viewer: dict[str, str]


@pytest.fixture
def api(emulated_aws, issuer) -> TestClient:
    return TestClient(create_platform_api(issuer), raise_server_exceptions=False)


@pytest.fixture
def members(api: TestClient, issuer: LocalIssuer, admin_headers: dict[str, str]) -> TenantMembers:
    created = api.post(
        "/v1/tenants",
        headers=admin_headers,
        json={"slug": "toolsmith", "display_name": "Toolsmith", "tier": "basic", "owner": {"subject": "owner"}},
    )
    assert created.status_code == 201, created.text
    tenant_id = created.json()["tenant_id"]
    owner = {"authorization": f"Bearer {issuer.mint('owner', tenant_id=tenant_id, role=Role.OWNER)}"}
    added = api.post("/v1/members", headers=owner, json={"subject": "reader", "role": "viewer"})
    assert added.status_code == 201, added.text
    viewer = {"authorization": f"Bearer {issuer.mint('reader', tenant_id=tenant_id, role=Role.VIEWER)}"}
    return TenantMembers(owner=owner, viewer=viewer)
