"""The one FastAPI dependency every route runs behind: authentication, the permission table, the rate limit.

`create_api` installs `authorize` on every application, so a route needs nothing to be protected. A route that
needs the caller asks for `Depends(current_principal)` or, for tenant data, `Depends(current_tenant)`; FastAPI
resolves `authorize` once per request either way.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Response

from shared.auth.errors import Forbidden
from shared.auth.permissions import route_policy
from shared.auth.principal import Principal
from shared.problems import NotFound
from shared.store.context import TenantContext

TENANT_PATH_PARAMETER = "tenant_id"


def authorize(request: Request, response: Response) -> Principal | None:
    """Refuses the request unless the permission table lets this caller call this route; None for public routes."""
    route = request.scope.get("route")
    path_template = getattr(route, "path", request.url.path)
    policy = route_policy(request.method, path_template)
    if policy is None:
        raise Forbidden(f"{request.method} {path_template} is not in the permission table, so nobody may call it")
    if policy.public:
        return None

    from shared.auth.authenticate import API_KEY_HEADER, authenticate
    from shared.tenancy.rate_limit import consume_platform_admin_token, consume_request_token

    principal = authenticate(request.headers.get("authorization"), request.headers.get(API_KEY_HEADER))
    request.state.principal = principal
    if principal.tenant_id is None:
        response.headers.update(consume_platform_admin_token(principal.subject).headers())
    else:
        decision = consume_request_token(TenantContext(principal.tenant_id))
        response.headers.update(decision.headers())
        path_tenant = request.path_params.get(TENANT_PATH_PARAMETER)
        # Another tenant's resources do not exist for this caller: 404, whatever the route would allow.
        if path_tenant is not None and path_tenant != principal.tenant_id:
            raise NotFound(f"No tenant with id {path_tenant!r}")
    if not policy.allows(principal):
        who = "platform admins" if principal.is_platform_admin else f"the {principal.role} role"
        raise Forbidden(f"{request.method} {path_template} is not allowed for {who}")
    return principal


def current_principal(principal: Annotated[Principal | None, Depends(authorize)]) -> Principal:
    if principal is None:
        raise RuntimeError("current_principal is used on a public route")
    return principal


def current_tenant(principal: Annotated[Principal, Depends(current_principal)]) -> TenantContext:
    """The tenant whose data the request may touch; platform admins have none."""
    if principal.tenant_id is None:
        raise Forbidden("Platform admins act outside tenants; use a member's credentials for tenant data")
    from shared.store.tenant_credentials import scoped_tenant

    # In the cloud (and under `forge dev`) the repositories get credentials that reach only this tenant's items.
    return scoped_tenant(TenantContext(principal.tenant_id))


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
CurrentTenant = Annotated[TenantContext, Depends(current_tenant)]
