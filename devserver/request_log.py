"""`forge dev`'s request log (API Gateway's access log in the cloud): one line per request."""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("nexus_forge.requests")


class RequestLogMiddleware:
    """Method, path, status, milliseconds and the tenant when known. The path is logged without its query string
    and no header is logged, so neither a bearer token nor an API key reaches the log."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the caller gets when the application raises before answering

        async def remember_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, remember_status)
        finally:
            milliseconds = (time.perf_counter() - started) * 1000
            logger.info("%s", request_line(scope, status, milliseconds))


def request_line(scope: Scope, status: int, milliseconds: float) -> str:
    line = f"{scope['method']} {scope['path']} {status} {milliseconds:.1f} ms"
    tenant_id = _tenant_id(scope)
    return f"{line} tenant={tenant_id}" if tenant_id else line


def _tenant_id(scope: Scope) -> str | None:
    """The caller's tenant, or for a platform admin the tenant in the path."""
    principal = scope.get("state", {}).get("principal")
    tenant_id: str | None = getattr(principal, "tenant_id", None) or scope.get("path_params", {}).get("tenant_id")
    return tenant_id
