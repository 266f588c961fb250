"""The permission table: every route of the API (method and path template) and who may call it.

Each route's policy is declared beside the route in the catalog (shared/catalog.py); the table adds the routes
served outside it. One dependency (`shared.auth.dependencies.authorize`) enforces it for every route; a route that
is not in this table is refused, and the route-matrix tests fail until it is declared.
"""

from __future__ import annotations

from shared.access import PUBLIC, RoutePolicy
from shared.catalog import CATALOG

# The local issuer of `forge dev` (OIDC discovery); Cognito serves these in the cloud.
LOCAL_ISSUER_ROUTES: dict[tuple[str, str], RoutePolicy] = {
    ("GET", "/.well-known/openid-configuration"): PUBLIC,
    ("GET", "/.well-known/jwks.json"): PUBLIC,
}

PERMISSIONS: dict[tuple[str, str], RoutePolicy] = {
    **{(route.method, route.path): route.policy for spec in CATALOG for route in spec.routes},
    **LOCAL_ISSUER_ROUTES,
}

# Served only by `forge dev` (the local issuer) or by features still to come; not every API has them.
OPTIONAL_ROUTES = frozenset(
    {
        ("GET", "/.well-known/openid-configuration"),
        ("GET", "/.well-known/jwks.json"),
        ("POST", "/v1/hooks/{hook_id}"),
    }
)


def route_policy(method: str, path_template: str) -> RoutePolicy | None:
    return PERMISSIONS.get(("GET" if method == "HEAD" else method, path_template))
