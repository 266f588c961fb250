"""Maps every error the HTTP layer can meet to an RFC 9457 problem response, in one place."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from shared.problems import (
    PROBLEM_CONTENT_TYPE,
    InvalidParam,
    MalformedJson,
    ProblemError,
    ValidationFailed,
    problem_type,
)

_HTTP_STATUS_SLUGS = {
    404: ("not-found", "Resource not found"),
    405: ("method-not-allowed", "Method not allowed"),
}


def problem_response(
    request: Request,
    *,
    status: int,
    type_uri: str,
    title: str,
    detail: str | None = None,
    extensions: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = problem_body(
        status=status,
        type_uri=type_uri,
        title=title,
        detail=detail,
        instance=request.url.path,
        correlation_id=getattr(request.state, "correlation_id", None),
        extensions=extensions,
    )
    return JSONResponse(body, status_code=status, media_type=PROBLEM_CONTENT_TYPE, headers=headers)


def problem_body(
    *,
    status: int,
    type_uri: str,
    title: str,
    detail: str | None,
    instance: str,
    correlation_id: str | None,
    extensions: dict[str, Any] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"type": type_uri, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body["instance"] = instance
    if correlation_id:
        body["correlation_id"] = correlation_id
    body.update(extensions or {})
    return body


def json_pointer(location: tuple[Any, ...] | list[Any]) -> str:
    return "/" + "/".join(str(part).replace("~", "~0").replace("/", "~1") for part in location)


async def _on_problem_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    extensions = dict(exc.extensions)
    if isinstance(exc, ValidationFailed):
        extensions["invalid-params"] = [param.model_dump() for param in exc.invalid_params]
    headers = extensions.pop("headers", None)
    return problem_response(
        request,
        status=exc.status,
        type_uri=exc.type_uri,
        title=exc.title,
        detail=exc.detail,
        extensions=extensions,
        headers=headers,
    )


async def _on_request_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    json_errors = [error for error in errors if error.get("type") == "json_invalid"]
    if json_errors:
        ctx = json_errors[0].get("ctx") or {}
        return await _on_problem_error(request, MalformedJson(f"Invalid JSON: {ctx.get('error', 'cannot parse')}"))
    params = [InvalidParam(name=json_pointer(error["loc"]), reason=error["msg"]) for error in errors]
    return await _on_problem_error(request, ValidationFailed(params))


def allowed_methods(request: Request) -> list[str]:
    """Every method the resource at the request's path serves. FastAPI has a route per method, and the router's 405
    names only the first route that matched the path (RFC 9110 wants them all in `Allow`). Where a fixed path and a
    template both match (`/v1/workflows/import`, `/v1/workflows/{workflow_id}`), the fixed one is the resource, as
    in the OpenAPI document."""
    methods_by_template: dict[str, set[str]] = {}
    for route in iter_route_contexts(request.app.routes):
        match, _ = route.matches(request.scope)
        if match is not Match.NONE and route.methods:
            methods_by_template.setdefault(route.path_format or "", set()).update(route.methods)
    fewest_parameters = min((template.count("{") for template in methods_by_template), default=0)
    return sorted(
        method
        for template, methods in methods_by_template.items()
        if template.count("{") == fewest_parameters
        for method in methods
    )


async def _on_http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    slug, title = _HTTP_STATUS_SLUGS.get(exc.status_code, ("http-error", "HTTP error"))
    detail = exc.detail if isinstance(exc.detail, str) else None
    headers = dict(exc.headers) if exc.headers else {}
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"No route matches {request.method} {request.url.path}"
    if exc.status_code == 405:
        allow = ", ".join(allowed_methods(request))
        headers["Allow"] = allow
        detail = f"{request.method} is not allowed on {request.url.path}; allowed: {allow}"
    return problem_response(
        request,
        status=exc.status_code,
        type_uri=problem_type(slug),
        title=title,
        detail=detail,
        headers=headers or None,
    )


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ProblemError, _on_problem_error)
    app.add_exception_handler(RequestValidationError, _on_request_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
