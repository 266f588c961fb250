"""The whole HTTP API in one application: every HTTP function's router from the catalog."""

from __future__ import annotations

import importlib

from fastapi import APIRouter, FastAPI

from devserver.issuer import LocalIssuer
from devserver.oidc import local_issuer_router
from shared.catalog import CATALOG
from shared.http.app import create_api


def catalog_routers() -> list[APIRouter]:
    routers: list[APIRouter] = []
    for spec in CATALOG:
        if spec.is_http:
            router = importlib.import_module(spec.router_module).router
            if not isinstance(router, APIRouter):
                raise TypeError(f"{spec.router_module}.router is not an APIRouter")
            routers.append(router)
    return routers


def create_platform_api(local_issuer: LocalIssuer | None = None) -> FastAPI:
    """Every catalog router; with `local_issuer`, also its OIDC discovery and JWKS (what `forge dev` serves)."""
    routers = catalog_routers()
    if local_issuer is not None:
        routers.append(local_issuer_router(local_issuer))
    return create_api(routers)


def generate_openapi_document() -> dict[str, object]:
    return create_api(catalog_routers()).openapi()
