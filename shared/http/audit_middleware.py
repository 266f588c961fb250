"""ASGI middleware: every successful state-changing request by an authenticated caller leaves an audit event."""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("nexus_forge.audit")

STATE_CHANGING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


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
    tenant_id = principal.tenant_id or path_params.get("tenant_id")
    if tenant_id is None:
        return
    route = scope.get("route")
    client = scope.get("client")
    record_audit_event(
        principal,
        tenant_id=tenant_id,
        action=f"{scope['method']} {getattr(route, 'path', scope['path'])}",
        target=scope["path"],
        status_code=status,
        request_id=state.get("correlation_id", ""),
        source_ip=client[0] if client else None,
    )
