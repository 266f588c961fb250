"""Identifiers in paths that cannot name anything (too long for a DynamoDB key, not a tenant id) are a 4xx problem on
every route, for a platform admin and a tenant owner alike, never a 500."""

from __future__ import annotations

import re

from shared.auth.principal import Role
from tests.integration.tenancy.conftest import make_tenant
from tests.integration.tenancy.test_route_matrices import SAMPLE_BODIES, api_routes

ODD_VALUES = ["x" * 1500, "%00", "é" * 600]


def test_no_route_answers_an_odd_identifier_with_a_500(api, issuer, admin_headers) -> None:
    world = make_tenant(api, issuer, admin_headers, "odd-ids")
    failures = []
    for method, template in api_routes():
        if "{" not in template:
            continue
        for value in ODD_VALUES:
            path = re.sub(r"{(\w+)}", value, template)
            for caller, headers in (("platform admin", admin_headers), ("owner", world.headers[Role.OWNER])):
                response = api.request(method, path, headers=headers, json=SAMPLE_BODIES.get((method, template)))
                if response.status_code >= 500 or response.headers["content-type"] != "application/problem+json":
                    failures.append(f"{caller} {method} {template} {value[:5]}: {response.status_code}")
    assert failures == []


def test_a_path_tenant_id_that_cannot_be_one_is_a_422_naming_it(api, admin_headers) -> None:
    response = api.post("/v1/tenants/" + "x" * 64 + "/suspend", headers=admin_headers)
    assert response.status_code == 422, response.text
    assert [param["name"] for param in response.json()["invalid-params"]] == ["/path/tenant_id"]
