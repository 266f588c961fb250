"""The whole HTTP API in one application: every HTTP function's router from the catalog."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.types import ASGIApp

from devserver.console import ConsoleServer
from devserver.issuer import LocalIssuer
from devserver.oidc import local_issuer_router
from devserver.request_log import RequestLogMiddleware
from devserver.routers import catalog_routers
from shared.http.app import create_api


def create_platform_api(local_issuer: LocalIssuer | None = None) -> FastAPI:
    """Every catalog router; with `local_issuer`, also its OIDC discovery and JWKS (what `forge dev` serves)."""
    routers = catalog_routers()
    if local_issuer is not None:
        routers.append(local_issuer_router(local_issuer))
    app = create_api(routers)
    app.add_middleware(RequestLogMiddleware)  # outermost: it sees every answer, the guard's refusals included
    return app


def create_local_server(local_issuer: LocalIssuer) -> ASGIApp:
    """What `forge dev` serves: the API, its local issuer, and the web console with its local sign-in at `/`."""
    return ConsoleServer(create_platform_api(local_issuer), local_issuer)
