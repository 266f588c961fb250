"""Health and the published API contract."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

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
    return get_swagger_ui_html(openapi_url="/openapi.json", title="Nexus Forge API")
