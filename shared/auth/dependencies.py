"""The one FastAPI dependency every route runs behind: authentication, the permission table, the rate limit.

`create_api` installs `authorize` on every application, so a route needs nothing to be protected. A route that
needs the caller asks for `Depends(current_principal)` or, for tenant data, `Depends(current_tenant)`; FastAPI
resolves `authorize` once per request either way.

A Lambda function URL (the webhook deliveries' URL, infra/constructs/delivery_url.py) reaches every route of its
function with no gateway in front: no usage plan meters it, no firewall sees it. So through a function URL only the
public routes are served; the others are not there (404), and stay on the API's own URL.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request, Response

from shared.auth.errors import Forbidden
from shared.auth.permissions import route_policy
from shared.auth.principal import Principal
from shared.problems import NotFound
from shared.store.context import TenantContext

TENANT_PATH_PARAMETER = "tenant_id"
# A function URL's host: <url id>.lambda-url.<region>.on.aws ("Invoking Lambda function URLs", Lambda developer guide).
FUNCTION_URL_HOST_PART = ".lambda-url."


def arrived_by_function_url(event: Any) -> bool:
    """Whether the Lambda event is a function URL's (payload format 2.0 with the URL's own host), as Lambda built it."""
    if not isinstance(event, dict) or event.get("version") != "2.0":
        return False
    return FUNCTION_URL_HOST_PART in str((event.get("requestContext") or {}).get("domainName", ""))


def authorize(request: Request, response: Response) -> Principal | None:
    """Refuses the request unless the permission table lets this caller call this route; None for public routes."""
    route = request.scope.get("route")
    path_template = getattr(route, "path", request.url.path)
    policy = route_policy(request.method, path_template)
    if policy is None:
        raise Forbidden(f"{request.method} {path_template} is not in the permission table, so nobody may call it")
    if policy.public:
        return None
    if arrived_by_function_url(request.scope.get("aws.event")):
        raise NotFound(f"{request.method} {path_template} is served on the platform's API URL, not this function URL")

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
