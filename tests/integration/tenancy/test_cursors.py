"""Pagination cursors on every list route: one that does not verify, or that a known secret signed around a key of
another list or tenant, is a 400 naming `cursor` (422 when it has not even a cursor's documented shape), never a
500 and never another tenant's page."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re

import pytest
from fastapi.routing import APIRoute

from devserver.routers import catalog_routers
from shared.auth.principal import Role
from shared.settings import get_settings
from shared.store.context import TenantContext
from shared.store.cursors import MAX_CURSOR_CHARS, encode_cursor
from shared.store.tenancy import Members
from tests.integration.tenancy.conftest import TenantWorld, add_execution_and_hook, make_tenant
from tests.integration.tenancy.test_route_matrices import PLATFORM_PARAMETERS, TENANT_OWNED_PARAMETERS


def _list_routes() -> list[str]:
    """Every GET route that takes a `cursor` query parameter."""
    return sorted(
        route.path
        for router in catalog_routers()
        for route in router.routes
        if isinstance(route, APIRoute)
        and "GET" in (route.methods or ())
        and any(parameter.name == "cursor" for parameter in route.dependant.query_params)
    )


@pytest.fixture
def worlds(api, issuer, admin_headers) -> tuple[TenantWorld, TenantWorld]:
    alpha = make_tenant(api, issuer, admin_headers, "pager-a")
    bravo = make_tenant(api, issuer, admin_headers, "pager-b")
    add_execution_and_hook(api, alpha)
    return alpha, bravo


def _forged(scope: str, payload: bytes) -> str:
    """A cursor signed as the platform signs them, with the local stage's secret (public: it is in the source)."""
    secret = get_settings().cursor_secret.get_secret_value().encode()
    signature = hmac.new(secret, scope.encode() + b"\x00" + payload, hashlib.sha256).digest()[:16]
    return ".".join(base64.urlsafe_b64encode(part).rstrip(b"=").decode() for part in (payload, signature))


def _assert_cursor_refused(response, label: str) -> None:
    """Not the shape the document gives a cursor: 422, as any schema violation; the shape, but not verified: 400."""
    assert response.status_code in (400, 422), f"{label}: {response.status_code} {response.text[:200]}"
    problem = response.json()
    expected_title = "Invalid pagination cursor" if response.status_code == 400 else "The request is not valid"
    assert problem["title"] == expected_title, label
    assert [param["name"] for param in problem["invalid-params"]] == ["/query/cursor"], label


def test_every_list_route_refuses_a_cursor_that_does_not_verify(api, admin_headers, worlds) -> None:
    alpha, _ = worlds
    routes = _list_routes()
    assert "/v1/members" in routes and "/v1/tenants" in routes
    garbage = ["abc", "a.b.c", "%%%.%%%", "x" * (MAX_CURSOR_CHARS + 1), encode_cursor("another list", {})]
    for template in routes:
        path = re.sub(
            r"{(\w+)}",
            lambda match: (
                str(TENANT_OWNED_PARAMETERS[match[1]](alpha))
                if match[1] in TENANT_OWNED_PARAMETERS
                else PLATFORM_PARAMETERS[match[1]]
            ),
            template,
        )
        headers = admin_headers if template == "/v1/tenants" else alpha.headers[Role.OWNER]
        for cursor in garbage:
            response = api.get(path, headers=headers, params={"cursor": cursor})
            _assert_cursor_refused(response, f"{template} {cursor[:20]}")


def test_a_cursor_signed_with_the_known_local_secret_cannot_reach_another_tenant(api, worlds) -> None:
    alpha, bravo = worlds
    own_list = Members(TenantContext(alpha.tenant_id)).partition
    forged: dict[str, object] = {
        "not JSON": "not json",
        "a list": [1, 2],
        "no key": {},
        "another tenant's partition": {"pk": {"S": Members(TenantContext(bravo.tenant_id)).partition}, "sk": {"S": ""}},
        "a number key": {"pk": {"S": own_list}, "sk": {"N": "1"}},
        "an extra attribute": {"pk": {"S": own_list}, "sk": {"S": "a"}, "gsi1pk": {"S": "x"}},
    }
    for label, payload in forged.items():
        text = payload if isinstance(payload, str) else json.dumps(payload)
        cursor = _forged(own_list, text.encode())
        response = api.get("/v1/members", headers=alpha.headers[Role.OWNER], params={"cursor": cursor})
        _assert_cursor_refused(response, label)
        assert bravo.spare_member not in response.text
    within = _forged(own_list, json.dumps({"pk": {"S": own_list}, "sk": {"S": "a"}}).encode())
    assert api.get("/v1/members", headers=alpha.headers[Role.OWNER], params={"cursor": within}).status_code == 200
