"""The web console beside the API under `forge dev`: the built single-page app at `/` and the local sign-in.

Paths of the API (`/v1/…`, the issuer's `/.well-known/…`, `/docs`, `/openapi.json`) go to the API unchanged; any
other GET is the console: a file of its build, else its `index.html`, whose router draws the page (SPA routing).
`/oauth2/authorize` and `/oauth2/token` are the local sign-in, the endpoints of Cognito's hosted UI
(devserver/oauth.py), and `/config.json` tells the console where they are, as the cloud's upload writes it.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from devserver.issuer import AUTHORIZE_PATH, TOKEN_PATH, LocalIssuer
from devserver.oauth import LocalAuthorizationServer

CONSOLE_DIST = Path(__file__).resolve().parents[1] / "console" / "dist"
API_PATHS = ("/v1/", "/.well-known/", "/docs", "/openapi.json")
OAUTH_PATHS = "/oauth2/"
CONFIG_PATH = "/config.json"
CALLBACK_PATH = "/callback"
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


class ConsoleServer:
    """The API with the console in front of it: what `forge dev` serves on its one port."""

    def __init__(self, api: ASGIApp, issuer: LocalIssuer, dist: Path = CONSOLE_DIST) -> None:
        self.api = api
        self.issuer = issuer
        self.dist = dist.resolve()
        self.authorization = LocalAuthorizationServer(issuer)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or path.startswith(API_PATHS):
            await self.api(scope, receive, send)
            return
        request = Request(scope, receive)
        if path.startswith(OAUTH_PATHS):
            response = await self.authorization.handle(request)
        elif path == CONFIG_PATH and request.method == "GET":
            response = self.config()
        elif request.method in ("GET", "HEAD"):
            response = self.page(path)
        else:
            await self.api(scope, receive, send)
            return
        await response(scope, receive, send)

    def config(self) -> Response:
        """The console's settings: the local issuer's OAuth endpoints and client id (the API is on this origin)."""
        settings = {
            "authorizeUrl": AUTHORIZE_PATH,
            "tokenUrl": TOKEN_PATH,
            "clientId": self.authorization.client_id,
            "redirectPath": CALLBACK_PATH,
        }
        return JSONResponse(settings, headers={**SECURITY_HEADERS, "cache-control": "no-cache"})

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
