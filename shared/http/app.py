"""Builds the FastAPI application that serves one feature's router (a Lambda) or all of them (local)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import APIRouter, Depends, FastAPI

from shared.auth.dependencies import authorize as authorize_request
from shared.http.audit_middleware import AuditMiddleware
from shared.http.guard import RequestGuardMiddleware
from shared.http.problem_handlers import install_problem_handlers
from shared.problems import PROBLEM_CONTENT_TYPE, Problem
from shared.settings import get_settings

API_TITLE = "Nexus Forge API"
API_VERSION = "1.0.0"

PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    "4XX": {"description": "Client error", "model": Problem, "content": {PROBLEM_CONTENT_TYPE: {}}},
    "5XX": {"description": "Server error", "model": Problem, "content": {PROBLEM_CONTENT_TYPE: {}}},
}


def create_api(routers: Iterable[APIRouter], *, docs: bool = False, authorize: bool = True) -> FastAPI:
    """`authorize=False` is for tests of the HTTP layer alone: routes outside the permission table, no callers."""
    app = FastAPI(
        dependencies=[Depends(authorize_request)] if authorize else None,
        title=API_TITLE,
        version=API_VERSION,
        description="Serverless workflow automation and AI agents on AWS.",
        docs_url="/docs" if docs else None,
        redoc_url=None,
        openapi_url="/openapi.json" if docs else None,
    )
    for router in routers:
        app.include_router(router, responses=PROBLEM_RESPONSES)
    install_problem_handlers(app)
    if authorize:
        app.add_middleware(AuditMiddleware)
    app.add_middleware(RequestGuardMiddleware, max_body_bytes=get_settings().max_request_bytes)
    return app
