"""What keeps the search index in step with the platform table: its stream's records name the items that changed,
and each such item's document is made again from the table (the latest approved, non-yanked version's listing).

Rebuilding from the table rather than from the record's image makes a record's order, a duplicate delivery or a
missed record harmless: whatever the stream says, the index ends as the table is. A version's description is
embedded once: an item whose indexed version is still the one to show keeps its vector.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from shared.marketplace.manifests import SEMVER_PATTERN
from shared.marketplace.performance import item_performance
from shared.marketplace.search.embeddings import embed
from shared.marketplace.search.index import search_index
from shared.marketplace.search.model import SearchDocument, SearchFilters, SearchQuery
from shared.store.marketplace import (
    VersionItem,
    find_namespace,
    item_versions,
    listed_items,
    listing_rating,
)

_ITEM_PREFIX = "MARKET#ITEM#"
_NAMESPACE_PREFIX = "MARKET#NS#"
_SEMVER = re.compile(SEMVER_PATTERN)
ItemRef = tuple[str, str]


def item_id(namespace: str, name: str) -> str:
    return f"{namespace}/{name}"


def version_precedence(version: str) -> tuple[int, int, int, int, tuple[tuple[int, int | str], ...]]:
    """Semantic Versioning's precedence: numbers compared as numbers, a pre-release below its release."""
    found = _SEMVER.match(version)
    if found is None:
        return (-1, -1, -1, -1, ())
    major, minor, patch, pre = found.groups()
    identifiers = tuple((0, int(part)) if part.isdigit() else (1, part) for part in (pre or "").split(".") if part)
    return (int(major), int(minor), int(patch), 0 if pre else 1, identifiers)


def item_document(namespace: str, name: str) -> SearchDocument | None:
    """The item as search shows it, or None when no version of it may be installed (none approved, all yanked)."""
    installable = [item for item in item_versions(namespace, name) if item.status == "approved" and not item.yanked]
    if not installable:
        return None
    latest: VersionItem = max(installable, key=lambda item: version_precedence(item.version))
    manifest = latest.manifest
    publisher = find_namespace(namespace)
    performance, _ = item_performance(namespace, name)
    return SearchDocument(
        item_id=item_id(namespace, name),
        version=latest.version,
        kind=latest.kind,
        namespace=namespace,
        name=name,
        title=str(manifest.get("title", "")),
        description=str(manifest.get("description", "")),
        categories=tuple(str(category) for category in manifest.get("categories", [])),
        verified=publisher is not None and publisher.verified,
        licence=str(manifest.get("license", "")),
        rating=listing_rating(namespace, name),
        success_rate=None if performance is None else performance.success_rate,
        executions=0 if performance is None else performance.executions,
    )


def reindex(items: Iterable[ItemRef]) -> tuple[int, int]:
    """Makes the index hold each item as the table has it; (documents written, documents removed)."""
    index = search_index()
    wanted = {item_id(*item): item_document(*item) for item in set(items)}
    if not wanted:
        return 0, 0
    held = index.stored(wanted)
    documents = [document for document in wanted.values() if document is not None]
    vectors: list[list[float] | None] = []
    for document in documents:
        previous, vector = held.get(document.item_id, (None, None))
        unchanged = previous is not None and (previous.version, previous.text()) == (document.version, document.text())
        vectors.append(vector if unchanged else None)
    embedded = iter(
        embed(
            [document.text() for document, vector in zip(documents, vectors, strict=True) if vector is None],
            "search_document",
        )
    )
    if documents:
        index.upsert(documents, [vector if vector is not None else next(embedded) for vector in vectors])
    gone = [identifier for identifier, document in wanted.items() if document is None and identifier in held]
    index.remove(gone)
    return len(documents), len(gone)


def rebuild() -> tuple[int, int]:
    """The whole index made again from the table (forge dev's start): items the table no longer lists go."""
    listed = listed_items()
    written, removed = reindex(listed)
    stale = search_index().item_ids() - {item_id(*item) for item in listed}
    search_index().remove(stale)
    return written, removed + len(stale)


def _namespace_items(namespace: str) -> set[ItemRef]:
    """The indexed items of a namespace (its verification shows on each of them)."""
    found: set[ItemRef] = set()
    query = SearchQuery(filters=SearchFilters(namespace=namespace), limit=50)
    while True:
        page = search_index().search(query)
        found |= {(hit.document.namespace, hit.document.name) for hit in page.hits}
        if len(page.hits) < query.limit or query.offset + query.limit > 1_000 - query.limit:
            return found
        query = query.model_copy(update={"offset": query.offset + query.limit})


def changed_items(records: Iterable[Mapping[str, Any]]) -> set[ItemRef]:
    """The items a DynamoDB stream batch touches: their listing, a version, a tenant's performance counters (the
    indexer's stream filter lets only some of their writes through: shared/catalog.py), or their namespace's record."""
    items: set[ItemRef] = set()
    for record in records:
        keys = record.get("dynamodb", {}).get("Keys", {})
        key = str(keys.get("pk", {}).get("S", ""))
        if key.startswith(_ITEM_PREFIX) and "/" in key:
            namespace, name = key.removeprefix(_ITEM_PREFIX).split("/", 1)
            items.add((namespace, name))
        elif key.startswith(_NAMESPACE_PREFIX):
            items |= _namespace_items(key.removeprefix(_NAMESPACE_PREFIX))
    return items
