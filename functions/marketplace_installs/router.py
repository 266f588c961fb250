"""Installs of verified marketplace versions into the caller's tenant: install, list, update (diff first),
uninstall, the node library the installs fill, and the reviews only tenants that installed an item may write."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from shared.auth.dependencies import CurrentPrincipal, CurrentTenant
from shared.http.pagination import DEFAULT_LIMIT, PageCursor, PageLimit
from shared.marketplace.installs import (
    Install,
    InstallPage,
    InstallRequest,
    NodePresetPage,
    Uninstalled,
    UpdatePlan,
    UpdateRequest,
    apply_update,
    get_install,
    install_item,
    list_installs,
    list_node_presets,
    plan_update,
    uninstall,
)
from shared.marketplace.manifests import SEMVER_PATTERN
from shared.marketplace.reviews import (
    MAX_REVIEWS_PAGE,
    Review,
    ReviewPage,
    ReviewReply,
    ReviewReport,
    ReviewWrite,
    delete_review,
    list_reviews,
    put_review,
    reply_to_review,
    report_review,
)

router = APIRouter(tags=["marketplace"])
_INSTALLS = "/v1/marketplace/installs"
_REVIEWS = "/v1/marketplace/items/{namespace}/{name}/reviews"
ReviewId = Annotated[str, Path(max_length=64, description="The review's id")]
InstallId = Annotated[str, Path(max_length=64, description="The install's id")]


@router.post(
    _INSTALLS,
    status_code=201,
    response_model=Install,
    summary="Install a version (signatures and digests verified): a template becomes a draft workflow, an agent or "
    "a connector node presets, an MCP server listing a registered MCP server",
)
def post_install(request: InstallRequest, tenant: CurrentTenant, principal: CurrentPrincipal) -> Install:
    return install_item(tenant, principal.subject, request)


@router.get(_INSTALLS, response_model=InstallPage, summary="List the tenant's installs")
def get_installs(tenant: CurrentTenant, limit: PageLimit = DEFAULT_LIMIT, cursor: PageCursor = None) -> InstallPage:
    return list_installs(tenant, limit=limit, cursor=cursor)


@router.get(_INSTALLS + "/{install_id}", response_model=Install, summary="Read an install and what it added")
def read_install(install_id: InstallId, tenant: CurrentTenant) -> Install:
    return get_install(tenant, install_id)


@router.get(
    _INSTALLS + "/{install_id}/update",
    response_model=UpdatePlan,
    summary="What updating to a version would add, change and remove, and what it leaves because the tenant changed "
    "it (nothing is written)",
)
def read_update_plan(
    install_id: InstallId,
    tenant: CurrentTenant,
    principal: CurrentPrincipal,
    version: Annotated[
        str | None, Query(pattern=SEMVER_PATTERN, max_length=64, description="Default: the latest approved version")
    ] = None,
) -> UpdatePlan:
    return plan_update(tenant, principal.subject, install_id, version)


@router.post(
    _INSTALLS + "/{install_id}/update",
    response_model=UpdatePlan,
    summary="Update to a version (verified as an install is); what the tenant changed is kept",
)
def post_update(
    install_id: InstallId, request: UpdateRequest, tenant: CurrentTenant, principal: CurrentPrincipal
) -> UpdatePlan:
    return apply_update(tenant, principal.subject, install_id, request)


@router.delete(
    _INSTALLS + "/{install_id}",
    response_model=Uninstalled,
    summary="Uninstall: removes what the install added, except what the tenant changed since (kept, listed)",
)
def delete_install(install_id: InstallId, tenant: CurrentTenant, principal: CurrentPrincipal) -> Uninstalled:
    return uninstall(tenant, principal.subject, install_id)


@router.get(
    "/v1/node-presets",
    response_model=NodePresetPage,
    summary="The tenant's node library: presets installs added, each used by a `preset` node of a workflow",
)
def get_node_presets(
    tenant: CurrentTenant, limit: PageLimit = DEFAULT_LIMIT, cursor: PageCursor = None
) -> NodePresetPage:
    return list_node_presets(tenant, limit=limit, cursor=cursor)


@router.get(_REVIEWS, response_model=ReviewPage, summary="The item's reviews, newest first, and its average rating")
def get_reviews(
    namespace: str,
    name: str,
    tenant: CurrentTenant,
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=MAX_REVIEWS_PAGE)] = 50,
) -> ReviewPage:
    return list_reviews(tenant, principal.subject, namespace, name, limit)


@router.put(
    _REVIEWS + "/mine",
    response_model=Review,
    summary="Rate and review the item, or edit your review (only a tenant that has it installed; one per member)",
)
def put_my_review(
    namespace: str, name: str, request: ReviewWrite, tenant: CurrentTenant, principal: CurrentPrincipal
) -> Review:
    return put_review(tenant, principal.subject, namespace, name, request)


@router.delete(_REVIEWS + "/mine", status_code=204, summary="Withdraw your review")
def delete_my_review(namespace: str, name: str, tenant: CurrentTenant, principal: CurrentPrincipal) -> Response:
    delete_review(tenant, principal.subject, namespace, name)
    return Response(status_code=204)


@router.post(
    _REVIEWS + "/{review_id}/reports", status_code=202, response_model=None, summary="Report a review as abusive"
)
def post_review_report(
    namespace: str,
    name: str,
    review_id: ReviewId,
    request: ReviewReport,
    tenant: CurrentTenant,
    principal: CurrentPrincipal,
) -> Response:
    report_review(tenant, principal.subject, namespace, name, review_id, request)
    return Response(status_code=202)


@router.put(
    _REVIEWS + "/{review_id}/reply",
    response_model=Review,
    summary="Reply to a review as the item's publisher (the namespace's owner tenant)",
)
def put_review_reply(
    namespace: str,
    name: str,
    review_id: ReviewId,
    request: ReviewReply,
    tenant: CurrentTenant,
    principal: CurrentPrincipal,
) -> Review:
    return reply_to_review(tenant, principal.subject, namespace, name, review_id, request)
