"""Tenants and the gateway: each tenant's API Gateway key lives in its tier's usage plan for as long as the tenant
does (the emulated API Gateway, with the tiers' plans provisioned as `forge dev` does), the authorizer names that
key for the tenant's callers, and creating a tenant is audited in the new tenant's log."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from devserver.emulation import LOCAL_PREFIX, LOCAL_REGION
from shared.auth.gateway_authorizer import ANONYMOUS_PRINCIPAL, authorize_gateway_request
from shared.auth.principal import Role
from shared.tenancy import gateway_keys
from shared.tenancy.tiers import Tier
from tests.integration.tenancy.conftest import bearer

METHOD_ARN = "arn:aws:execute-api:us-east-1:123456789012:abc123/test/GET/v1/members"


def _apigateway() -> Any:
    return boto3.client("apigateway", region_name=LOCAL_REGION)


def _tenant_key(tenant_id: str) -> dict[str, Any] | None:
    name = gateway_keys.tenant_key_name(LOCAL_PREFIX, tenant_id)
    keys = _apigateway().get_api_keys(nameQuery=name, includeValues=True)["items"]
    return next((key for key in keys if key["name"] == name), None)


def _plans_of(key_id: str) -> list[str]:
    client = _apigateway()
    return sorted(
        plan["name"]
        for plan in client.get_usage_plans()["items"]
        if any(key["id"] == key_id for key in client.get_usage_plan_keys(usagePlanId=plan["id"])["items"])
    )


def _create(api, admin_headers, slug: str, tier: str = "basic") -> str:
    response = api.post(
        "/v1/tenants",
        headers=admin_headers,
        json={"slug": slug, "display_name": slug, "tier": tier, "owner": {"subject": f"{slug}-owner"}},
    )
    assert response.status_code == 201, response.text
    tenant_id: str = response.json()["tenant_id"]
    return tenant_id


def test_a_tenants_gateway_key_follows_its_tier_and_status_until_the_purge(api, admin_headers) -> None:
    tenant_id = _create(api, admin_headers, "metered")
    key = _tenant_key(tenant_id)
    assert key is not None and key["enabled"]
    assert key["value"] == gateway_keys.tenant_key_value(LOCAL_PREFIX, tenant_id)
    assert _plans_of(key["id"]) == [gateway_keys.usage_plan_name(LOCAL_PREFIX, Tier.BASIC)]

    assert api.patch(f"/v1/tenants/{tenant_id}", headers=admin_headers, json={"tier": "enterprise"}).is_success
    assert _plans_of(key["id"]) == [gateway_keys.usage_plan_name(LOCAL_PREFIX, Tier.ENTERPRISE)]
    assert api.patch(f"/v1/tenants/{tenant_id}", headers=admin_headers, json={"tier": "professional"}).is_success
    assert _plans_of(key["id"]) == [gateway_keys.usage_plan_name(LOCAL_PREFIX, Tier.PROFESSIONAL)]

    assert api.post(f"/v1/tenants/{tenant_id}/suspend", headers=admin_headers).is_success
    assert _tenant_key(tenant_id)["enabled"] is False  # type: ignore[index]
    assert api.post(f"/v1/tenants/{tenant_id}/resume", headers=admin_headers).is_success
    assert _tenant_key(tenant_id)["enabled"] is True  # type: ignore[index]
    assert api.delete(f"/v1/tenants/{tenant_id}", headers=admin_headers).is_success
    assert _tenant_key(tenant_id)["enabled"] is False  # type: ignore[index]

    assert api.post(f"/v1/tenants/{tenant_id}/purge", headers=admin_headers).status_code == 204
    assert _tenant_key(tenant_id) is None


def test_a_refused_tenant_leaves_no_gateway_key(api, admin_headers) -> None:
    _create(api, admin_headers, "taken")
    before = len(_apigateway().get_api_keys()["items"])
    duplicate = api.post(
        "/v1/tenants",
        headers=admin_headers,
        json={"slug": "taken", "display_name": "Again", "owner": {"subject": "someone"}},
    )
    assert duplicate.status_code == 409
    assert len(_apigateway().get_api_keys()["items"]) == before


def test_without_usage_plans_tenants_get_no_gateway_key_and_a_tier_change_makes_up_for_it(
    api, admin_headers, monkeypatch
) -> None:
    from shared.settings import get_settings

    monkeypatch.delenv("FORGE_USAGE_PLAN_PREFIX")
    get_settings.cache_clear()
    try:
        tenant_id = _create(api, admin_headers, "unmetered")
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert _tenant_key(tenant_id) is None
    # Plans deployed later: the next tier change gives the tenant its key, in the new tier's plan.
    assert api.patch(f"/v1/tenants/{tenant_id}", headers=admin_headers, json={"tier": "professional"}).is_success
    key = _tenant_key(tenant_id)
    assert key is not None
    assert _plans_of(key["id"]) == [gateway_keys.usage_plan_name(LOCAL_PREFIX, Tier.PROFESSIONAL)]


@pytest.fixture
def tenant_with_key(api, issuer, admin_headers) -> tuple[str, dict[str, str], str]:
    tenant_id = _create(api, admin_headers, "authorized")
    owner = bearer(issuer.mint("authorized-owner", tenant_id=tenant_id, role=Role.OWNER))
    created = api.post("/v1/api-keys", headers=owner, json={"name": "ci", "role": "editor"})
    assert created.status_code == 201, created.text
    return tenant_id, owner, created.json()["api_key"]


def _authorize(headers: dict[str, str]) -> dict[str, Any]:
    return authorize_gateway_request({"type": "REQUEST", "methodArn": METHOD_ARN, "headers": headers})


def test_the_authorizer_names_the_callers_tenant_key_for_jwts_and_api_keys(tenant_with_key) -> None:
    tenant_id, owner, api_key = tenant_with_key
    expected = _tenant_key(tenant_id)["value"]  # type: ignore[index]
    for headers in (owner, {"Authorization": f"Bearer {api_key}"}, {"X-API-Key": api_key}):
        answer = _authorize(headers)
        assert answer["usageIdentifierKey"] == expected
        assert answer["policyDocument"]["Statement"] == [
            {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": METHOD_ARN}
        ]
        assert answer["context"] == {"tenant_id": tenant_id}


def test_the_authorizer_meters_platform_admins_and_failed_credentials_on_their_own_keys(
    tenant_with_key, admin_headers
) -> None:
    _, _, api_key = tenant_with_key
    admin = _authorize(admin_headers)
    assert admin["usageIdentifierKey"] == gateway_keys.shared_key_value(
        LOCAL_PREFIX, gateway_keys.PLATFORM_ADMINS_KEY_SUFFIX
    )
    anonymous = gateway_keys.shared_key_value(LOCAL_PREFIX, gateway_keys.ANONYMOUS_KEY_SUFFIX)
    for headers in ({}, {"authorization": "Bearer not-a-token"}, {"x-api-key": api_key[:-2] + "xx"}):
        answer = _authorize(headers)
        # Allowed through to the application, which answers the precise 401 problem.
        assert (answer["usageIdentifierKey"], answer["principalId"]) == (anonymous, ANONYMOUS_PRINCIPAL)
        assert answer["policyDocument"]["Statement"][0]["Effect"] == "Allow"


def test_creating_a_tenant_is_audited_in_the_new_tenants_log(api, issuer, admin_headers) -> None:
    tenant_id = _create(api, admin_headers, "audited")
    owner = bearer(issuer.mint("audited-owner", tenant_id=tenant_id, role=Role.OWNER))
    events = api.get("/v1/audit-events", headers=owner).json()["items"]
    (created,) = [event for event in events if event["action"] == "POST /v1/tenants"]
    assert created["actor"] == "platform-admin@example.com"
    assert created["actor_method"] == "jwt"
    assert created["tenant_id"] == tenant_id
    assert created["target"] == f"/v1/tenants/{tenant_id}"
    assert created["status_code"] == 201 and created["request_id"]
