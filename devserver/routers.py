"""The catalog's HTTP routers, loaded from functions/ by name, and the OpenAPI document they make: no emulation, no
local issuer (what `forge openapi` writes and the tests diff)."""

from __future__ import annotations

import importlib

from fastapi import APIRouter

from shared.catalog import CATALOG
from shared.http.app import create_api
from shared.http.openapi_document import with_security_and_examples


def catalog_routers() -> list[APIRouter]:
    routers: list[APIRouter] = []
    for spec in CATALOG:
        if spec.is_http:
            router = importlib.import_module(spec.router_module).router
            if not isinstance(router, APIRouter):
                raise TypeError(f"{spec.router_module}.router is not an APIRouter")
            routers.append(router)
    return routers


def generate_openapi_document() -> dict[str, object]:
    return with_security_and_examples(create_api(catalog_routers()).openapi())
