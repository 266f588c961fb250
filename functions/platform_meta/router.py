"""Health and the published API contract."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, Response
from pydantic import BaseModel

from shared.http.docs_assets import DOCS_ASSET_TYPES, docs_asset_path
from shared.http.openapi_document import OPENAPI_DOCUMENT_PATH
from shared.settings import get_settings

router = APIRouter(tags=["platform"])


class Health(BaseModel):
    status: str
    stage: str


@router.get("/v1/health", response_model=Health, summary="Liveness of the API in this region")
def get_health() -> Health:
    return Health(status="ok", stage=get_settings().stage)


@router.get("/openapi.json", include_in_schema=False)
def get_openapi_document() -> Response:
    return Response(OPENAPI_DOCUMENT_PATH.read_bytes(), media_type="application/json")


@router.get("/docs", include_in_schema=False)
def get_docs() -> HTMLResponse:
    """Swagger UI from the platform's own files: the page names no other host, so it works offline."""
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="Nexus Forge API",
        swagger_js_url="/docs/swagger-ui-bundle.js",
        swagger_css_url="/docs/swagger-ui.css",
        swagger_favicon_url="/docs/favicon.png",
        # No validator badge (it calls a public validator) and "Authorize" survives a reload.
        swagger_ui_parameters={"validatorUrl": None, "persistAuthorization": True},
    )


@router.get("/docs/{asset}", include_in_schema=False)
def get_docs_asset(asset: Literal["swagger-ui-bundle.js", "swagger-ui.css", "favicon.png"]) -> FileResponse:
    return FileResponse(
        docs_asset_path(asset), media_type=DOCS_ASSET_TYPES[asset], headers={"cache-control": "public, max-age=86400"}
    )
