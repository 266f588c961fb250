"""The marketplace: manifest schemas, publisher namespaces, signed versions with their scan reports."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from shared.auth.dependencies import CurrentTenant
from shared.http.pagination import PageCursor
from shared.marketplace.manifests import NAME_PATTERN, ItemKind, committed_schema
from shared.marketplace.publishing import (
    Deprecation,
    ItemVersion,
    ItemView,
    Namespace,
    NamespaceClaim,
    RescanRequests,
    ScanReportView,
    VersionPage,
    VersionUpload,
    claim_namespace,
    deprecate_version,
    get_item,
    get_namespace,
    get_scan_report,
    get_version,
    list_versions,
    publish_version,
    request_rescans,
    verify_namespace,
    yank_version,
)
from shared.marketplace.search.model import SearchMode
from shared.marketplace.search.service import (
    MarketplaceSearch,
    MarketplaceSearchPage,
    Suggestions,
    search_marketplace,
    suggest_titles,
)

router = APIRouter(prefix="/v1/marketplace", tags=["marketplace"])
_ITEM = "/items/{namespace}/{name}"
_VERSION = _ITEM + "/versions/{version}"


@router.get("/schemas/{kind}", summary="The JSON Schema of a kind's manifest")
def read_schema(kind: ItemKind) -> dict[str, Any]:
    return committed_schema(kind)


@router.put("/namespaces/{namespace}", response_model=Namespace, summary="Reserve a namespace or replace its key")
def put_namespace(namespace: str, claim: NamespaceClaim, tenant: CurrentTenant) -> Namespace:
    return claim_namespace(tenant, namespace, claim)


@router.get("/namespaces/{namespace}", response_model=Namespace, summary="Read a publisher namespace")
def read_namespace(namespace: str, tenant: CurrentTenant) -> Namespace:
    return get_namespace(tenant, namespace)


@router.post(
    "/namespaces/{namespace}/verification", response_model=Namespace, summary="Mark a namespace verified (admins)"
)
def post_namespace_verification(namespace: str) -> Namespace:
    return verify_namespace(namespace)


@router.post(
    _ITEM + "/versions",
    status_code=202,
    response_model=ItemVersion,
    summary="Publish a signed version: stored pending, then scanned (approved ones are countersigned)",
)
def post_version(
    namespace: str, name: str, upload: VersionUpload, tenant: CurrentTenant, response: Response
) -> ItemVersion:
    version = publish_version(tenant, namespace, name, upload)
    response.headers["Location"] = f"/v1/marketplace/items/{namespace}/{name}/versions/{version.version}"
    return version


@router.post(
    "/rescans",
    status_code=202,
    response_model=RescanRequests,
    summary="Queue approved versions of older rules for the scanner (admins)",
)
def post_rescans() -> RescanRequests:
    return request_rescans()


@router.get(_ITEM, response_model=ItemView, summary="Read an item's listing (its latest approved version)")
def read_item(namespace: str, name: str, tenant: CurrentTenant) -> ItemView:
    return get_item(namespace, name)


@router.get(_ITEM + "/versions", response_model=VersionPage, summary="List an item's versions")
def read_versions(namespace: str, name: str, tenant: CurrentTenant) -> VersionPage:
    return list_versions(namespace, name)


@router.get(_VERSION, response_model=ItemVersion, summary="Read a version")
def read_version(namespace: str, name: str, version: str, tenant: CurrentTenant) -> ItemVersion:
    return get_version(namespace, name, version)


@router.get(_VERSION + "/scan", response_model=ScanReportView, summary="Read a version's scan report")
def read_scan_report(namespace: str, name: str, version: str, tenant: CurrentTenant) -> ScanReportView:
    return get_scan_report(namespace, name, version)


@router.post(_VERSION + "/yank", response_model=ItemVersion, summary="Yank a version (no new installs)")
def post_yank(namespace: str, name: str, version: str, tenant: CurrentTenant) -> ItemVersion:
    return yank_version(tenant, namespace, name, version)


@router.post(_VERSION + "/deprecation", response_model=ItemVersion, summary="Deprecate a version with a message")
def post_deprecation(
    namespace: str, name: str, version: str, deprecation: Deprecation, tenant: CurrentTenant
) -> ItemVersion:
    return deprecate_version(tenant, namespace, name, version, deprecation)


@router.get(
    "/search",
    response_model=MarketplaceSearchPage,
    summary="Search items by words and meaning, with filters, highlights and facet counts",
)
def get_search(
    tenant: CurrentTenant,
    q: Annotated[str, Query(max_length=500, description="Words or a sentence; empty: the most installed first")] = "",
    mode: Annotated[SearchMode, Query(description="keyword (BM25), semantic (embeddings) or hybrid (both)")] = (
        SearchMode.hybrid
    ),
    kind: ItemKind | None = None,
    category: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    publisher: Annotated[str | None, Query(pattern=NAME_PATTERN, description="A publisher namespace")] = None,
    verified: Annotated[bool | None, Query(description="Only items of verified publishers (true) or not")] = None,
    license: Annotated[str | None, Query(min_length=1, max_length=100, description="An SPDX expression")] = None,
    rating: Annotated[float | None, Query(ge=0, le=5, description="The lowest average rating")] = None,
    limit: Annotated[int, Query(ge=1, le=50, description="Hits per page")] = 20,
    cursor: PageCursor = None,
) -> MarketplaceSearchPage:
    return search_marketplace(
        MarketplaceSearch(
            q=q,
            mode=mode,
            kind=kind,
            category=category,
            publisher=publisher,
            verified=verified,
            license=license,
            rating=rating,
            limit=limit,
            cursor=cursor,
        )
    )


@router.get("/search/suggestions", response_model=Suggestions, summary="Complete what was typed into item titles")
def get_search_suggestions(
    tenant: CurrentTenant,
    prefix: Annotated[str, Query(min_length=1, max_length=100, description="What was typed so far")],
    limit: Annotated[int, Query(ge=1, le=20)] = 8,
) -> Suggestions:
    return suggest_titles(prefix, limit)
