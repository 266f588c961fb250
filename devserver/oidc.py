"""OIDC discovery and the JWKS of the local issuer, served by `forge dev` as Cognito serves them in the cloud."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from devserver.issuer import LocalIssuer


def local_issuer_router(issuer: LocalIssuer) -> APIRouter:
    router = APIRouter(prefix="/.well-known", tags=["local issuer"], include_in_schema=False)

    @router.get("/openid-configuration")
    def get_openid_configuration(request: Request) -> dict[str, Any]:
        return issuer.discovery_document(str(request.base_url))

    @router.get("/jwks.json")
    def get_jwks() -> dict[str, Any]:
        return issuer.jwks()

    return router
