"""The permission table: every route of the API (method and path template) and who may call it.

One dependency (`shared.auth.dependencies.authorize`) enforces it for every route; a route that is not in this
table is refused, and the route-matrix tests fail until it is added here.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.auth.principal import Principal, Role


@dataclass(frozen=True)
class RoutePolicy:
    """Who may call a route: anyone (public), platform admins, and/or members of the tenant with these roles."""

    public: bool = False
    platform_admin: bool = False
    roles: frozenset[Role] = frozenset()

    def allows(self, principal: Principal) -> bool:
        if principal.is_platform_admin:
            return self.platform_admin
        return principal.role in self.roles


PUBLIC = RoutePolicy(public=True)
PLATFORM_ADMIN = RoutePolicy(platform_admin=True)


def members(minimum: Role, *, platform_admin: bool = False) -> RoutePolicy:
    """Members of the tenant whose role is `minimum` or higher."""
    return RoutePolicy(platform_admin=platform_admin, roles=frozenset(role for role in Role if role.at_least(minimum)))


PERMISSIONS: dict[tuple[str, str], RoutePolicy] = {
    # platform
    ("GET", "/v1/health"): PUBLIC,
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("POST", "/v1/platform/smoke-runs"): PLATFORM_ADMIN,
    ("GET", "/v1/platform/smoke-runs/{run_id}"): PLATFORM_ADMIN,
    # the local issuer of `forge dev` (OIDC discovery); Cognito serves these in the cloud
    ("GET", "/.well-known/openid-configuration"): PUBLIC,
    ("GET", "/.well-known/jwks.json"): PUBLIC,
    # webhook deliveries authenticate with their signature, not a caller identity
    ("POST", "/v1/hooks/{hook_id}"): PUBLIC,
    # tenants
    ("POST", "/v1/tenants"): PLATFORM_ADMIN,
    ("GET", "/v1/tenants"): PLATFORM_ADMIN,
    ("GET", "/v1/tenants/{tenant_id}"): members(Role.VIEWER, platform_admin=True),
    ("PATCH", "/v1/tenants/{tenant_id}"): members(Role.ADMIN, platform_admin=True),
    ("DELETE", "/v1/tenants/{tenant_id}"): PLATFORM_ADMIN,
    ("POST", "/v1/tenants/{tenant_id}/suspend"): PLATFORM_ADMIN,
    ("POST", "/v1/tenants/{tenant_id}/resume"): PLATFORM_ADMIN,
    ("POST", "/v1/tenants/{tenant_id}/purge"): PLATFORM_ADMIN,
    # members and the caller's own identity
    ("GET", "/v1/me"): members(Role.VIEWER, platform_admin=True),
    ("GET", "/v1/members"): members(Role.VIEWER),
    ("POST", "/v1/members"): members(Role.ADMIN),
    ("GET", "/v1/members/{subject}"): members(Role.VIEWER),
    ("PATCH", "/v1/members/{subject}"): members(Role.ADMIN),
    ("DELETE", "/v1/members/{subject}"): members(Role.ADMIN),
    # API keys
    ("GET", "/v1/api-keys"): members(Role.ADMIN),
    ("POST", "/v1/api-keys"): members(Role.ADMIN),
    ("GET", "/v1/api-keys/{key_id}"): members(Role.ADMIN),
    ("POST", "/v1/api-keys/{key_id}/rotate"): members(Role.ADMIN),
    ("DELETE", "/v1/api-keys/{key_id}"): members(Role.ADMIN),
    # audit
    ("GET", "/v1/audit-events"): members(Role.ADMIN),
    # executions
    ("POST", "/v1/workflows/{workflow_id}/executions"): members(Role.EDITOR),
    ("GET", "/v1/executions"): members(Role.VIEWER),
    ("GET", "/v1/executions/{execution_id}"): members(Role.VIEWER),
    ("GET", "/v1/executions/{execution_id}/history"): members(Role.VIEWER),
    ("POST", "/v1/executions/{execution_id}/cancel"): members(Role.EDITOR),
    ("POST", "/v1/executions/{execution_id}/rerun"): members(Role.EDITOR),
    ("POST", "/v1/executions/{execution_id}/redrive"): members(Role.EDITOR),
    ("GET", "/v1/executions/{execution_id}/events"): members(Role.VIEWER),
    # approvals: answering also requires being one of the approval's approvers, if it names any
    ("GET", "/v1/approvals"): members(Role.VIEWER),
    ("GET", "/v1/approvals/{approval_id}"): members(Role.VIEWER),
    ("POST", "/v1/approvals/{approval_id}/approve"): members(Role.EDITOR),
    ("POST", "/v1/approvals/{approval_id}/reject"): members(Role.EDITOR),
    # webhook endpoints (deliveries to /v1/hooks/{hook_id} are public, above)
    ("POST", "/v1/hooks"): members(Role.EDITOR),
    ("GET", "/v1/hooks"): members(Role.VIEWER),
    ("GET", "/v1/hooks/{hook_id}"): members(Role.VIEWER),
    ("DELETE", "/v1/hooks/{hook_id}"): members(Role.EDITOR),
    ("POST", "/v1/hooks/{hook_id}/rotate-secret"): members(Role.ADMIN),
    # schedules
    ("POST", "/v1/schedules"): members(Role.EDITOR),
    ("GET", "/v1/schedules"): members(Role.VIEWER),
    ("GET", "/v1/schedules/{schedule_id}"): members(Role.VIEWER),
    ("PATCH", "/v1/schedules/{schedule_id}"): members(Role.EDITOR),
    ("DELETE", "/v1/schedules/{schedule_id}"): members(Role.EDITOR),
    ("GET", "/v1/schedules/{schedule_id}/failures"): members(Role.VIEWER),
    # credentials of http_request nodes: admins manage the secrets; editors, who build workflows, see the names
    ("POST", "/v1/credentials"): members(Role.ADMIN),
    ("GET", "/v1/credentials"): members(Role.EDITOR),
    ("GET", "/v1/credentials/{credential_name}"): members(Role.EDITOR),
    ("PUT", "/v1/credentials/{credential_name}"): members(Role.ADMIN),
    ("DELETE", "/v1/credentials/{credential_name}"): members(Role.ADMIN),
    # workflows
    ("GET", "/v1/workflow-schema"): PUBLIC,
    ("POST", "/v1/workflows/validate"): members(Role.EDITOR),
    ("POST", "/v1/workflows"): members(Role.EDITOR),
    ("GET", "/v1/workflows"): members(Role.VIEWER),
    ("POST", "/v1/workflows/import"): members(Role.EDITOR),
    ("GET", "/v1/workflows/{workflow_id}"): members(Role.VIEWER),
    ("PUT", "/v1/workflows/{workflow_id}"): members(Role.EDITOR),
    ("DELETE", "/v1/workflows/{workflow_id}"): members(Role.ADMIN),
    ("POST", "/v1/workflows/{workflow_id}/validate"): members(Role.EDITOR),
    ("POST", "/v1/workflows/{workflow_id}/publish"): members(Role.EDITOR),
    ("GET", "/v1/workflows/{workflow_id}/versions"): members(Role.VIEWER),
    ("GET", "/v1/workflows/{workflow_id}/versions/{version}"): members(Role.VIEWER),
    ("GET", "/v1/workflows/{workflow_id}/diff"): members(Role.VIEWER),
    ("POST", "/v1/workflows/{workflow_id}/rollback"): members(Role.EDITOR),
    ("GET", "/v1/workflows/{workflow_id}/export"): members(Role.VIEWER),
    ("GET", "/v1/workflows/{workflow_id}/tool"): members(Role.VIEWER),
    # tool descriptions: a conversion touches no data
    ("POST", "/v1/tools/convert"): members(Role.VIEWER),
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
