"""Installs of verified marketplace versions into the caller's tenant."""

from __future__ import annotations

from fastapi import APIRouter

from shared.auth.dependencies import CurrentPrincipal, CurrentTenant
from shared.marketplace.installs import Install, InstallRequest, install_item

router = APIRouter(prefix="/v1/marketplace", tags=["marketplace"])


@router.post(
    "/installs",
    status_code=201,
    response_model=Install,
    summary="Install a version (signatures and digests verified): a template becomes a draft workflow",
)
def post_install(request: InstallRequest, tenant: CurrentTenant, principal: CurrentPrincipal) -> Install:
    return install_item(tenant, principal.subject, request)
