"""Keys and members: every caller role against every target role, for every operation that touches one.

The rule (shared/auth/role_ceiling.py): a caller acts only on keys and members whose role is at most its own, and
grants at most its own role; the permission table first admits admins and owners to these routes at all.
"""

from __future__ import annotations

import itertools

import pytest

from shared.auth.permissions import route_policy
from shared.auth.principal import Role
from tests.integration.tenancy.conftest import TenantWorld, bearer, make_tenant

PAIRS = list(itertools.product(Role, Role))


@pytest.fixture
def world(api, issuer, admin_headers) -> TenantWorld:
    return make_tenant(api, issuer, admin_headers, "ceiling")


def _expected(caller: Role, target: Role, method: str, template: str) -> int:
    policy = route_policy(method, template)
    assert policy is not None
    return 0 if caller in policy.roles and caller.at_least(target) else 403


def _key(api, world: TenantWorld, role: Role, name: str) -> dict[str, str]:
    created = api.post("/v1/api-keys", headers=world.headers[Role.OWNER], json={"name": name, "role": role})
    assert created.status_code == 201, created.text
    body: dict[str, str] = created.json()
    return body


def _member(api, world: TenantWorld, role: Role, subject: str) -> str:
    added = api.post("/v1/members", headers=world.headers[Role.OWNER], json={"subject": subject, "role": role})
    assert added.status_code == 201, added.text
    return subject


def _outcome(response, expected: int) -> str | None:
    """None when the response is what the matrix expects (a success, or a 403 problem that leaks no secret)."""
    if expected == 403:
        if response.status_code == 403 and response.json()["type"].endswith("/forbidden"):
            return None if "api_key" not in response.json() else "a refusal carried a key"
    elif response.is_success:
        return None
    return f"{response.status_code} {response.text[:160]}"


def test_api_keys_every_caller_role_against_every_key_role(api, world) -> None:
    mismatches = []
    for caller, target in PAIRS:
        headers = world.headers[caller]
        case = f"{caller}->{target}"
        create = api.post("/v1/api-keys", headers=headers, json={"name": case, "role": target})
        expected = _expected(caller, target, "POST", "/v1/api-keys")
        mismatches.append((case, "create", _outcome(create, expected)))

        key = _key(api, world, target, f"{case} rotated")
        rotate = api.post(f"/v1/api-keys/{key['key_id']}/rotate", headers=headers)
        expected = _expected(caller, target, "POST", "/v1/api-keys/{key_id}/rotate")
        mismatches.append((case, "rotate", _outcome(rotate, expected)))
        old_secret_works = api.get("/v1/me", headers=bearer(key["api_key"])).status_code == 200
        mismatches.append((case, "old secret after rotate", None if old_secret_works == (expected == 403) else "wrong"))

        revoke = api.delete(f"/v1/api-keys/{key['key_id']}", headers=headers)
        expected = _expected(caller, target, "DELETE", "/v1/api-keys/{key_id}")
        mismatches.append((case, "revoke", _outcome(revoke, expected)))
        read = api.get(f"/v1/api-keys/{key['key_id']}", headers=world.headers[Role.OWNER]).json()
        mismatches.append((case, "revoked", None if (read["revoked_at"] is None) == (expected == 403) else "wrong"))
    assert [mismatch for mismatch in mismatches if mismatch[2] is not None] == []


def test_members_every_caller_role_against_every_member_role(api, world) -> None:
    mismatches = []
    for caller, target in PAIRS:
        headers = world.headers[caller]
        case = f"{caller}-{target}"
        add = api.post("/v1/members", headers=headers, json={"subject": f"{case}-added", "role": target})
        mismatches.append((case, "add", _outcome(add, _expected(caller, target, "POST", "/v1/members"))))

        demoted = _member(api, world, target, f"{case}-demoted")
        demote = api.patch(f"/v1/members/{demoted}", headers=headers, json={"role": "viewer"})
        expected = _expected(caller, target, "PATCH", "/v1/members/{subject}")
        mismatches.append((case, "change from", _outcome(demote, expected)))

        promoted = _member(api, world, Role.VIEWER, f"{case}-promoted")
        promote = api.patch(f"/v1/members/{promoted}", headers=headers, json={"role": target})
        mismatches.append((case, "change to", _outcome(promote, expected)))

        removed = _member(api, world, target, f"{case}-removed")
        remove = api.delete(f"/v1/members/{removed}", headers=headers)
        expected = _expected(caller, target, "DELETE", "/v1/members/{subject}")
        mismatches.append((case, "remove", _outcome(remove, expected)))
        member = api.get(f"/v1/members/{removed}", headers=world.headers[Role.OWNER])
        mismatches.append((case, "removed", None if (member.status_code == 200) == (expected == 403) else "wrong"))
    assert [mismatch for mismatch in mismatches if mismatch[2] is not None] == []


def test_an_admin_cannot_make_itself_owner_through_an_owner_key(api, world) -> None:
    owner_key = _key(api, world, Role.OWNER, "owner automation")
    admin = world.headers[Role.ADMIN]
    rotated = api.post(f"/v1/api-keys/{owner_key['key_id']}/rotate", headers=admin)
    assert rotated.status_code == 403
    assert "api_key" not in rotated.json()
    assert api.get("/v1/me", headers=bearer(owner_key["api_key"])).json()["role"] == "owner"
    promoted = api.patch(f"/v1/members/{world.slug}-admin", headers=admin, json={"role": "owner"})
    assert promoted.status_code == 403
