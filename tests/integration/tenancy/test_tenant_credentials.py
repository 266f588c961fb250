"""Tenant data is read and written with credentials scoped to the caller's tenant, through the same code path as in
the cloud: `sts:AssumeRole` of the tenant-data role with the tenant's session policy, cached per tenant.

moto's STS issues the sessions and records each AssumeRole (role, session name, policy), which is what these tests
inspect; botocore's `before-call` event shows which credentials signed each DynamoDB call. moto does not evaluate
IAM conditions (its access control ignores `Condition`, and it has no SimulateCustomPolicy), so what the policy
allows is pinned by tests/unit/test_session_policy.py instead.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
from botocore.handlers import BUILTIN_HANDLERS
from fastapi.testclient import TestClient
from moto.sts.models import sts_backends

from devserver.emulation import LOCAL_ACCOUNT, LOCAL_TENANT_DATA_ROLE_ARN
from devserver.issuer import LocalIssuer
from shared.auth.principal import Role
from shared.settings import get_settings
from shared.store import tenant_credentials
from shared.store.context import TenantContext
from shared.store.scoped_connections import own_connections
from shared.store.session_policy import tenant_session_policy
from shared.store.tenant_credentials import forget_tenant_credentials, tenant_table_arns
from tests.integration.tenancy.conftest import bearer

# The credentials moto's mock gives the process, i.e. the function's own.
FUNCTION_ACCESS_KEY = "FOOBARKEY"


@dataclass(frozen=True)
class DynamoDbCall:
    operation: str
    table: str
    partition: str
    access_key: str


class SignedCalls:
    """Every DynamoDB call of clients built while installed: operation, table, partition key value, access key."""

    def __init__(self) -> None:
        self.calls: list[DynamoDbCall] = []

    def __call__(self, model: Any, params: dict[str, Any], request_signer: Any, **_: Any) -> None:
        body = params.get("body") or b"{}"
        request = json.loads(body.decode() if isinstance(body, bytes) else body)
        keys = json.dumps([request.get("ExpressionAttributeValues"), request.get("Key"), request.get("Item")])
        partition = next((part for part in keys.split('"') if part.startswith("TENANT#")), "")
        self.calls.append(
            DynamoDbCall(model.name, request.get("TableName", ""), partition, request_signer._credentials.access_key)
        )


@pytest.fixture
def signed_calls() -> Iterator[SignedCalls]:
    calls = SignedCalls()
    BUILTIN_HANDLERS.append(("before-call.dynamodb", calls))
    forget_tenant_credentials()
    # The function's own connection may predate the hook (built by an earlier test): built again, it sees it.
    own_connections.cache_clear()
    yield calls
    BUILTIN_HANDLERS.remove(("before-call.dynamodb", calls))
    forget_tenant_credentials()


def assumed_roles() -> list[Any]:
    return list(sts_backends[LOCAL_ACCOUNT]["aws"].assumed_roles)


def create_tenant(api: TestClient, issuer: LocalIssuer, admin_headers: dict[str, str], slug: str) -> tuple[str, dict]:
    owner = f"{slug}-owner"
    response = api.post(
        "/v1/tenants",
        headers=admin_headers,
        json={"slug": slug, "display_name": slug, "tier": "basic", "owner": {"subject": owner}},
    )
    assert response.status_code == 201, response.text
    tenant_id = response.json()["tenant_id"]
    return tenant_id, bearer(issuer.mint(owner, tenant_id=tenant_id, role=Role.OWNER))


def test_a_tenant_request_assumes_the_tenant_data_role_with_the_tenants_session_policy(
    api, issuer, admin_headers, signed_calls
) -> None:
    tenant_id, owner = create_tenant(api, issuer, admin_headers, "scoped")
    before = len(assumed_roles())
    assert api.get("/v1/members", headers=owner).status_code == 200

    (session,) = assumed_roles()[before:]
    assert session.role_arn == LOCAL_TENANT_DATA_ROLE_ARN == get_settings().tenant_data_role_arn
    assert session.session_name == f"tenant-{tenant_id}"
    tables = tenant_table_arns(LOCAL_TENANT_DATA_ROLE_ARN)
    assert json.loads(session.policy) == tenant_session_policy(TenantContext(tenant_id), tables)
    assert f"arn:aws:dynamodb:us-east-1:{LOCAL_ACCOUNT}:table/{get_settings().table_tenancy}" in tables

    members_query = [
        call
        for call in signed_calls.calls
        if call.operation == "Query" and call.partition == f"TENANT#{tenant_id}#MEMBER"
    ]
    assert members_query and {call.access_key for call in members_query} == {session.access_key_id}
    # Authentication and the rate limiter ran before the caller was known: the function's own credentials.
    before_route = [call for call in signed_calls.calls if call.operation in ("GetItem", "UpdateItem")]
    assert before_route and {call.access_key for call in before_route} == {FUNCTION_ACCESS_KEY}


def test_a_session_is_cached_per_tenant_and_renewed_before_it_expires(api, issuer, admin_headers, signed_calls) -> None:
    alpha, alpha_owner = create_tenant(api, issuer, admin_headers, "cached-alpha")
    bravo, bravo_owner = create_tenant(api, issuer, admin_headers, "cached-bravo")
    before = len(assumed_roles())
    for _ in range(3):
        assert api.get("/v1/members", headers=alpha_owner).status_code == 200
        assert api.get("/v1/api-keys", headers=bravo_owner).status_code == 200
    sessions = assumed_roles()[before:]
    assert [session.session_name for session in sessions] == [f"tenant-{alpha}", f"tenant-{bravo}"]
    assert "TENANT#" + bravo in sessions[1].policy and "TENANT#" + alpha not in sessions[1].policy

    # A session that is about to expire is replaced before the next request uses it.
    cached = tenant_credentials._cache[alpha]
    tenant_credentials._cache[alpha] = replace(
        cached, expires_at=time.time() + tenant_credentials.REFRESH_MARGIN_SECONDS - 1
    )
    assert api.get("/v1/members", headers=alpha_owner).status_code == 200
    (renewed,) = assumed_roles()[before + 2 :]
    assert renewed.session_name == f"tenant-{alpha}"
    assert tenant_credentials._cache[alpha].access_key_id == renewed.access_key_id != cached.access_key_id


def test_platform_routes_use_the_functions_own_credentials(api, issuer, admin_headers, signed_calls) -> None:
    before = len(assumed_roles())
    create_tenant(api, issuer, admin_headers, "platform-only")
    assert api.get("/v1/tenants", headers=admin_headers).status_code == 200
    assert assumed_roles()[before:] == []


def test_without_a_tenant_data_role_tenant_data_uses_the_functions_credentials(
    api, issuer, admin_headers, signed_calls, monkeypatch
) -> None:
    tenant_id, owner = create_tenant(api, issuer, admin_headers, "unscoped")
    monkeypatch.delenv("FORGE_TENANT_DATA_ROLE_ARN")
    get_settings.cache_clear()
    before = len(assumed_roles())
    assert api.get("/v1/members", headers=owner).status_code == 200
    assert assumed_roles()[before:] == []
    members_query = [call for call in signed_calls.calls if call.partition == f"TENANT#{tenant_id}#MEMBER"]
    assert members_query and all(call.access_key == FUNCTION_ACCESS_KEY for call in members_query)
    get_settings.cache_clear()
