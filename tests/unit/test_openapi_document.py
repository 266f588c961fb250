"""The committed OpenAPI document tells a client how to authenticate on each route, as the catalog's policies say,
and shows a valid example of each request body (what the docs' "Authorize" and "Try it out" use)."""

from __future__ import annotations

import json
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest

from shared.catalog import CATALOG
from shared.http.openapi_document import OPENAPI_DOCUMENT_PATH

DOCUMENT: dict[str, Any] = json.loads(OPENAPI_DOCUMENT_PATH.read_text())
OPERATIONS = [
    (method.upper(), path, operation)
    for path, operations in DOCUMENT["paths"].items()
    for method, operation in operations.items()
]
POLICIES = {(route.method, route.path): route.policy for spec in CATALOG for route in spec.routes}


def test_the_document_declares_a_bearer_jwt_and_an_api_key_scheme() -> None:
    schemes = DOCUMENT["components"]["securitySchemes"]
    assert schemes["bearer"] == schemes["bearer"] | {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    assert schemes["apiKey"] == schemes["apiKey"] | {"type": "apiKey", "in": "header", "name": "X-API-Key"}


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS, ids=[f"{m} {p}" for m, p, _ in OPERATIONS])
def test_every_authenticated_route_names_the_credentials_it_takes(method: str, path: str, operation: Any) -> None:
    policy = POLICIES[(method, path)]
    offered = {name for requirement in operation.get("security", []) for name in requirement}
    if policy.public:
        assert offered == set()
    elif policy.roles:
        assert offered == {"bearer", "apiKey"}
    else:  # platform admins only: API keys belong to tenants
        assert offered == {"bearer"}


def test_every_json_request_body_has_an_example_its_schema_accepts() -> None:
    bodies = [
        (method, path, content["application/json"])
        for method, path, operation in OPERATIONS
        if "application/json" in (content := operation.get("requestBody", {}).get("content", {}))
    ]
    assert len(bodies) >= 20
    for method, path, body in bodies:
        assert "example" in body, f"{method} {path} has no example"
        schema = {"components": DOCUMENT["components"], **body["schema"]}
        jsonschema.Draft202012Validator(schema).validate(body["example"])
