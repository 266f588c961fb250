"""ASGI middleware: every successful state-changing request by an authenticated caller leaves an audit event."""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("nexus_forge.audit")

STATE_CHANGING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# What a route may set on `request.state` when the path does not say which tenant and resource it changed.
AUDIT_TENANT_STATE = "audit_tenant_id"
AUDIT_TARGET_STATE = "audit_target"
# Set (True) by a route whose event belongs in the platform's log rather than the tenant's (a tenant's purge).
AUDIT_PLATFORM_STATE = "audit_platform"


class AuditMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in STATE_CHANGING_METHODS:
            await self.app(scope, receive, send)
            return
        status = 0

        async def remember_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                if status < 400:
                    _record(scope, status)
            await send(message)

        await self.app(scope, receive, remember_status)


def _record(scope: Scope, status: int) -> None:
    """Written before the response leaves, so a change the caller saw succeed is always in the log."""
    from shared.tenancy.audit import record_audit_event

    state = scope.get("state", {})
    principal = state.get("principal")
    if principal is None:
        return
    path_params = scope.get("path_params", {})
    # A platform admin acts on the tenant in the path, or on the one the route names (a tenant it just created).
    tenant_id = principal.tenant_id or path_params.get("tenant_id") or state.get(AUDIT_TENANT_STATE)
    if tenant_id is None:
        return
    route = scope.get("route")
    client = scope.get("client")
    record_audit_event(
        principal,
        tenant_id=tenant_id,
        action=f"{scope['method']} {getattr(route, 'path', scope['path'])}",
        target=state.get(AUDIT_TARGET_STATE) or scope["path"],
        status_code=status,
        request_id=state.get("correlation_id", ""),
        source_ip=client[0] if client else None,
        platform=bool(state.get(AUDIT_PLATFORM_STATE)),
    )
