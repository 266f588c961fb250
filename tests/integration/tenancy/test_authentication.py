"""API keys and bearer tokens: what works, and a clear 401 or 403 for everything that does not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from devserver.issuer import LocalIssuer
from shared.auth.principal import Role
from tests.integration.tenancy.conftest import bearer, make_tenant


@pytest.fixture
def world(api, issuer, admin_headers):
    return make_tenant(api, issuer, admin_headers, "keys")


def _problem(response, status: int) -> Any:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return response.json()


def test_api_key_lifecycle_shown_once_listed_rotated_revoked(api, world) -> None:
    owner = world.headers[Role.OWNER]
    created = api.post("/v1/api-keys", headers=owner, json={"name": "deploy bot", "role": "admin"})
    assert created.status_code == 201
    key = created.json()
    assert key["api_key"].startswith(key["prefix"] + ".")

    me = api.get("/v1/me", headers={"x-api-key": key["api_key"]}).json()
    assert (me["tenant_id"], me["role"], me["method"]) == (world.tenant_id, "admin", "api_key")
    assert api.get("/v1/me", headers=bearer(key["api_key"])).status_code == 200

    listed = api.get("/v1/api-keys", headers=owner).text
    assert key["key_id"] in listed
    assert key["api_key"] not in listed and key["api_key"].rsplit(".", 1)[1] not in listed

    rotated = api.post(f"/v1/api-keys/{key['key_id']}/rotate", headers=owner).json()
    assert rotated["api_key"] != key["api_key"]
    assert _problem(api.get("/v1/me", headers=bearer(key["api_key"])), 401)["title"] == "Invalid credentials"
    assert api.get("/v1/me", headers=bearer(rotated["api_key"])).status_code == 200

    assert api.delete(f"/v1/api-keys/{key['key_id']}", headers=owner).json()["revoked_at"] is not None
    revoked = _problem(api.get("/v1/me", headers=bearer(rotated["api_key"])), 401)
    assert revoked["detail"] == "The API key has been revoked"


def test_an_expired_api_key_is_refused(api, world) -> None:
    soon = datetime.now(UTC) + timedelta(seconds=3)  # room for a slow machine to create and use the key first
    key = api.post(
        "/v1/api-keys", headers=world.headers[Role.OWNER], json={"name": "short", "expires_at": soon.isoformat()}
    ).json()
    assert api.get("/v1/me", headers=bearer(key["api_key"])).status_code == 200
    import time

    time.sleep(max(0.0, (soon - datetime.now(UTC)).total_seconds()) + 0.05)
    assert _problem(api.get("/v1/me", headers=bearer(key["api_key"])), 401)["detail"] == "The API key has expired"


def test_an_api_key_cannot_outrank_its_creator(api, world) -> None:
    response = api.post("/v1/api-keys", headers=world.headers[Role.ADMIN], json={"name": "x", "role": "owner"})
    assert _problem(response, 403)["title"] == "Not allowed"


@pytest.mark.parametrize(
    ("headers", "detail"),
    [
        ({}, "Send `Authorization: Bearer <token or API key>` or an `X-API-Key` header"),
        (
            {"authorization": "Basic dXNlcjpwYXNz"},
            "Malformed Authorization header: expected `Bearer <token or API key>`",
        ),
        ({"authorization": "Bearer"}, "Malformed Authorization header: expected `Bearer <token or API key>`"),
        ({"authorization": "Bearer a b"}, "Malformed Authorization header: expected `Bearer <token or API key>`"),
        ({"authorization": "Bearer nfk.nope"}, "Malformed API key"),
        ({"authorization": "Bearer not-a-jwt"}, None),
    ],
    ids=["missing", "basic-scheme", "empty-bearer", "two-tokens", "malformed-key", "garbage-token"],
)
def test_malformed_credentials_are_a_401_problem(api, world, headers, detail) -> None:
    problem = _problem(api.get("/v1/members", headers=headers), 401)
    assert problem["title"] in ("Authentication required", "Invalid credentials")
    if detail:
        assert problem["detail"] == detail


def test_an_unknown_api_key_of_a_real_tenant_is_refused(api, world) -> None:
    forged = world.api_key[:-5] + "AAAAA"
    assert _problem(api.get("/v1/me", headers=bearer(forged)), 401)["detail"] == "Unknown API key"


def _claims_token(issuer: LocalIssuer, world, **changes) -> str:
    return issuer.mint(f"{world.slug}-owner", tenant_id=world.tenant_id, role=Role.OWNER, extra_claims=changes)


def test_jwt_failures_are_401_with_a_clear_detail(api, issuer, world, tmp_path) -> None:
    stranger = LocalIssuer(tmp_path / "stranger")
    wrong_key = stranger.mint(f"{world.slug}-owner", tenant_id=world.tenant_id, role=Role.OWNER)
    cases = {
        "signature": (wrong_key, "signature does not verify"),
        "another key": (wrong_key, "signed by a key this platform no longer has (minted before `forge dev --reset`"),
        "audience": (_claims_token(issuer, world, aud="someone-else"), "The bearer token is not for this API"),
        "expired": (_claims_token(issuer, world, exp=1_600_000_000), "The bearer token has expired"),
        "not yet": (_claims_token(issuer, world, nbf=4_000_000_000), "The bearer token is not valid yet (nbf)"),
        "issuer": (_claims_token(issuer, world, iss="https://evil.example"), "unknown issuer"),
        "no tenant": (issuer.mint("x", role=Role.OWNER), "The bearer token lacks the 'tenant_id' claim"),
        "no role": (issuer.mint("x", tenant_id=world.tenant_id), "lacks a valid 'role' claim"),
        "not a member": (issuer.mint("x", tenant_id=world.tenant_id, role=Role.OWNER), "is not a member"),
    }
    tampered = _claims_token(issuer, world).split(".")
    tampered[1] = tampered[1][:-4] + ("AAAA" if not tampered[1].endswith("AAAA") else "BBBB")
    cases["tampered"] = (".".join(tampered), "signature does not verify")
    for name, (token, detail) in cases.items():
        problem = _problem(api.get("/v1/members", headers=bearer(token)), 401)
        assert problem["title"] == "Invalid credentials", name
        assert detail in problem["detail"], (name, problem["detail"])
        assert "WWW-Authenticate".lower() in {
            header.lower() for header in api.get("/v1/members", headers=bearer(token)).headers
        }


def test_a_removed_member_is_out_and_a_demoted_one_demoted_at_once(api, issuer, world) -> None:
    owner = world.headers[Role.OWNER]
    assert api.patch(f"/v1/members/{world.slug}-admin", headers=owner, json={"role": "viewer"}).status_code == 200
    assert _problem(api.get("/v1/api-keys", headers=world.headers[Role.ADMIN]), 403)["title"] == "Not allowed"
    assert api.delete(f"/v1/members/{world.slug}-editor", headers=owner).status_code == 204
    assert _problem(api.get("/v1/members", headers=world.headers[Role.EDITOR]), 401)["title"] == "Invalid credentials"


def test_a_tenant_keeps_an_owner(api, world) -> None:
    owner = world.headers[Role.OWNER]
    assert _problem(api.delete(f"/v1/members/{world.slug}-owner", headers=owner), 409)["detail"] == (
        "A tenant keeps at least one owner"
    )


def test_suspended_and_deleted_tenants_are_refused_then_purged(api, admin_headers, world) -> None:
    path = f"/v1/tenants/{world.tenant_id}"
    assert api.post(f"{path}/suspend", headers=admin_headers).json()["status"] == "suspended"
    assert _problem(api.get("/v1/me", headers=bearer(world.api_key)), 403)["title"] == "The tenant is not active"
    assert api.post(f"{path}/resume", headers=admin_headers).json()["status"] == "active"
    assert api.get("/v1/me", headers=bearer(world.api_key)).status_code == 200
    assert (
        _problem(api.post(f"{path}/purge", headers=admin_headers), 409)["detail"]
        == "Delete the tenant before purging it"
    )
    deleted = api.delete(path, headers=admin_headers).json()
    assert deleted["status"] == "deleted" and deleted["purge_after"]
    assert _problem(api.get("/v1/me", headers=bearer(world.api_key)), 403)["title"] == "The tenant is not active"
    assert api.post(f"{path}/purge", headers=admin_headers).status_code == 204
    assert _problem(api.get(path, headers=admin_headers), 404)["title"] == "Resource not found"
    assert _problem(api.get("/v1/me", headers=bearer(world.api_key)), 401)["detail"] == "Unknown API key"
    recreated = api.post(
        "/v1/tenants",
        headers=admin_headers,
        json={"slug": world.slug, "display_name": "Again", "owner": {"subject": "o"}},
    )
    assert recreated.status_code == 201


def test_a_slug_is_unique(api, admin_headers, world) -> None:
    body = {"slug": world.slug, "display_name": "Dup", "owner": {"subject": "o"}}
    assert (
        _problem(api.post("/v1/tenants", headers=admin_headers, json=body), 409)["detail"] == "The slug 'keys' is taken"
    )


def test_state_changes_are_audited_and_only_the_tenant_sees_its_events(api, issuer, admin_headers, world) -> None:
    other = make_tenant(api, issuer, admin_headers, "other")
    owner = world.headers[Role.OWNER]
    api.patch(f"/v1/tenants/{world.tenant_id}", headers=owner, json={"display_name": "Renamed"})
    events = api.get("/v1/audit-events", headers=owner).json()["items"]
    newest = events[0]
    assert newest["action"] == "PATCH /v1/tenants/{tenant_id}"
    assert newest["actor"] == f"{world.slug}-owner"
    assert newest["target"] == f"/v1/tenants/{world.tenant_id}"
    assert newest["status_code"] == 200 and newest["request_id"] and newest["source_ip"]
    assert {event["action"] for event in events} >= {"POST /v1/members", "POST /v1/api-keys"}
    other_events = api.get("/v1/audit-events", headers=other.headers[Role.OWNER]).json()["items"]
    assert all(event["tenant_id"] == other.tenant_id for event in other_events)
    assert "PATCH /v1/tenants/{tenant_id}" not in {event["action"] for event in other_events}


def test_a_token_of_the_web_consoles_app_client_is_accepted_once_the_parameter_lists_it(
    api, issuer, world, monkeypatch
) -> None:
    # The console's Cognito app client is created after the API's stacks, so the API learns its id from an SSM
    # parameter in the primary region, read when a token's audience is not the API's own client.
    import boto3

    from shared.auth.tokens import jwt_verifier
    from shared.settings import get_settings

    ssm = boto3.client("ssm", region_name="us-east-1")
    name = "/forge-test/auth/extra-audiences"
    monkeypatch.setenv("FORGE_AUTH_EXTRA_AUDIENCES_PARAMETER", f"arn:aws:ssm:us-east-1:123456789012:parameter{name}")
    get_settings.cache_clear()
    jwt_verifier.cache_clear()
    console_token = _claims_token(issuer, world, aud="console-client-id")
    assert "not for this API" in _problem(api.get("/v1/members", headers=bearer(console_token)), 401)["detail"]

    ssm.put_parameter(Name=name, Value="console-client-id", Type="StringList")
    jwt_verifier.cache_clear()
    assert api.get("/v1/members", headers=bearer(console_token)).status_code == 200
    stranger = _claims_token(issuer, world, aud="someone-else")
    assert "not for this API" in _problem(api.get("/v1/members", headers=bearer(stranger)), 401)["detail"]
    get_settings.cache_clear()
    jwt_verifier.cache_clear()
