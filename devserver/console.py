"""The web console beside the API under `forge dev`: the built single-page app at `/` and the local sign-in.

Paths of the API (`/v1/…`, the issuer's `/.well-known/…`, `/docs`, `/openapi.json`) go to the API unchanged; any
other GET is the console: a file of its build, else its `index.html`, whose router draws the page (SPA routing).
`POST /local/token` is the local sign-in: a token of the local issuer for the tenant and role the person chose, as
`forge token` mints one (forge dev listens on the loopback only). It takes JSON alone, so a web page of another
origin cannot make a browser call it without a CORS preflight, which nothing here answers.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from devserver.issuer import LocalIssuer
from shared.access import Role
from shared.http.problem_handlers import json_pointer, problem_response
from shared.problems import InvalidParam, ProblemError, UnsupportedMediaType, ValidationFailed

CONSOLE_DIST = Path(__file__).resolve().parents[1] / "console" / "dist"
API_PATHS = ("/v1/", "/.well-known/", "/docs", "/openapi.json")
SIGN_IN_PATH = "/local/token"
HASHED_ASSETS = "/assets/"
# React Flow positions nodes with style attributes, hence 'unsafe-inline' for styles; scripts only from the build.
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}
NOT_BUILT = """<!doctype html><html lang="en"><head><title>Nexus Forge console</title></head><body><main>
<h1>The console is not built</h1><p>Run <code>make run</code> (it builds <code>console/</code> when its sources
changed) or <code>make console</code>; the API is served at <code>/v1/</code> either way.</p></main></body></html>"""


class LocalSignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject: Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.@:-]+$")]
    tenant_id: Annotated[str | None, Field(max_length=64)] = None
    role: Role = Role.OWNER
    platform_admin: bool = False

    @model_validator(mode="after")
    def _tenant_or_platform(self) -> LocalSignIn:
        if self.platform_admin == (self.tenant_id is not None):
            raise ValueError("give either platform_admin or a tenant_id (with a role)")
        return self


class ConsoleServer:
    """The API with the console in front of it: what `forge dev` serves on its one port."""

    def __init__(self, api: ASGIApp, issuer: LocalIssuer, dist: Path = CONSOLE_DIST) -> None:
        self.api = api
        self.issuer = issuer
        self.dist = dist.resolve()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or path.startswith(API_PATHS):
            await self.api(scope, receive, send)
            return
        request = Request(scope, receive)
        if path == SIGN_IN_PATH and request.method == "POST":
            response = await self.sign_in(request)
        elif request.method in ("GET", "HEAD"):
            response = self.page(path)
        else:
            await self.api(scope, receive, send)
            return
        await response(scope, receive, send)

    async def sign_in(self, request: Request) -> Response:
        if not re.match(r"^application/json\b", request.headers.get("content-type", "")):
            return _problem(request, UnsupportedMediaType("Send the sign-in as application/json"))
        try:
            sign_in = LocalSignIn.model_validate_json(await request.body())
        except ValidationError as error:
            invalid = [
                InvalidParam(name=json_pointer(["body", *issue["loc"]]), reason=issue["msg"])
                for issue in error.errors()
            ]
            return _problem(request, ValidationFailed(invalid))
        token = self.issuer.mint(
            sign_in.subject,
            tenant_id=sign_in.tenant_id,
            role=None if sign_in.platform_admin else sign_in.role,
            platform_admin=sign_in.platform_admin,
        )
        return JSONResponse({"token": token}, headers={"cache-control": "no-store"})

    def page(self, path: str) -> Response:
        index = self.dist / "index.html"
        if not index.is_file():
            return HTMLResponse(NOT_BUILT, status_code=503, headers=SECURITY_HEADERS)
        wanted = (self.dist / path.lstrip("/")).resolve()
        if wanted.is_relative_to(self.dist) and wanted.is_file():
            cache = "public, max-age=31536000, immutable" if path.startswith(HASHED_ASSETS) else "no-cache"
            return FileResponse(wanted, headers={**SECURITY_HEADERS, "cache-control": cache})
        if path.startswith(HASHED_ASSETS):
            return HTMLResponse("Not found", status_code=404, headers=SECURITY_HEADERS)
        return FileResponse(index, headers={**SECURITY_HEADERS, "cache-control": "no-cache"})


def _problem(request: Request, error: ProblemError) -> Response:
    extensions: dict[str, Any] = {}
    if isinstance(error, ValidationFailed):
        extensions["invalid-params"] = [param.model_dump() for param in error.invalid_params]
    return problem_response(
        request,
        status=error.status,
        type_uri=error.type_uri,
        title=error.title,
        detail=error.detail,
        extensions=extensions,
    )
