"""The committed OpenAPI document: generated from every router, served as is, diffed in the tests.

What FastAPI cannot know is added here: the security schemes each route accepts, from its policy in the catalog
(so the docs' "Authorize" sends credentials to exactly the routes that need them), and an example of each request
body."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from shared.access import RoutePolicy
from shared.catalog import CATALOG
from shared.http.openapi_examples import REQUEST_EXAMPLES

OPENAPI_DOCUMENT_PATH = Path(__file__).with_name("openapi.json")

BEARER_SCHEME = "bearer"
API_KEY_SCHEME = "apiKey"
SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    BEARER_SCHEME: {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "A JWT of the platform's identity provider (Cognito; under `forge dev`, `forge token`), "
        "or an API key (`nfk.…`) sent as a bearer token",
    },
    API_KEY_SCHEME: {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "An API key of a tenant (`POST /v1/api-keys`)",
    },
}


def render_openapi_document(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def route_policies() -> dict[tuple[str, str], RoutePolicy]:
    return {(route.method, route.path): route.policy for spec in CATALOG for route in spec.routes}


def security_of(policy: RoutePolicy) -> list[dict[str, list[str]]]:
    """Public routes take no credentials; API keys belong to a tenant's members, so platform-admin routes take
    only a platform admin's token."""
    if policy.public:
        return []
    if policy.roles:
        return [{BEARER_SCHEME: []}, {API_KEY_SCHEME: []}]
    return [{BEARER_SCHEME: []}]


def with_security_and_examples(document: dict[str, Any]) -> dict[str, Any]:
    policies = route_policies()
    document.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            key = (method.upper(), path)
            security = security_of(policies[key])
            if security:
                operation["security"] = security
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body is not None and key in REQUEST_EXAMPLES:
                body["example"] = REQUEST_EXAMPLES[key]
    return document
