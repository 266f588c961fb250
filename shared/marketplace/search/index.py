"""The one interface of the marketplace's search index, and the index this deployment uses.

In the cloud it is an index of the OpenSearch Serverless collection `FORGE_MARKETPLACE_SEARCH_ENDPOINT` names
(opensearch_index.py), in the region `FORGE_MARKETPLACE_SEARCH_REGION` names (the primary's). Without that setting
(`forge dev`) it is the embedded SQLite index (sqlite_index.py) in a file of the state dir, which the indexer (in the
emulation process) writes and every API worker reads; `FORGE_MARKETPLACE_SEARCH_INDEX` names it: a path.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Protocol

from shared.marketplace.search.model import SearchDocument, SearchQuery, SearchResults
from shared.settings import get_settings


class SearchIndex(Protocol):
    def upsert(self, documents: Sequence[SearchDocument], vectors: Sequence[Sequence[float]] | None = None) -> None:
        """Adds or replaces documents by item id, with their embeddings."""

    def remove(self, item_ids: Iterable[str]) -> None: ...

    def stored(self, item_ids: Iterable[str]) -> dict[str, tuple[SearchDocument, list[float] | None]]:
        """The documents held for these ids, each with its embedding."""

    def item_ids(self) -> set[str]: ...

    def search(self, query: SearchQuery, query_vector: Sequence[float] | None = None) -> SearchResults: ...

    def suggest(self, prefix: str, limit: int = 8) -> list[str]: ...


@lru_cache(maxsize=1)
def search_index() -> SearchIndex:
    settings = get_settings()
    if settings.marketplace_search_endpoint:
        from shared.marketplace.search.embeddings import embedding_dimensions
        from shared.marketplace.search.opensearch_index import OpenSearchIndex

        dimensions = embedding_dimensions(settings.marketplace_embedding_model)
        return OpenSearchIndex(
            settings.marketplace_search_endpoint, dimensions, region=settings.marketplace_search_region
        )
    from shared.marketplace.search.sqlite_index import SqliteSearchIndex

    return SqliteSearchIndex(settings.require("marketplace_search_index"))
