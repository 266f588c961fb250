"""Swagger UI's files for /docs, as the fastapi-offline package ships them (located without importing it: its
module imports Starlette's static files, which the function does not need)."""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

DOCS_ASSET_TYPES = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon.png": "image/png",
}


def docs_asset_path(name: str) -> Path:
    spec = find_spec("fastapi_offline")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("fastapi-offline, which ships Swagger UI's files, is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "static" / name
