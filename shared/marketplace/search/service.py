"""Marketplace search as the API answers it: a page of hits with their scores, highlights and facet counts, and
title completion. The query's embedding is computed here (semantic and hybrid modes), the ranking by the index."""

from __future__ import annotations

import hashlib
import html
import re

from pydantic import BaseModel, Field

from shared.marketplace.search.embeddings import embed
from shared.marketplace.search.index import search_index
from shared.marketplace.search.model import SearchFilters, SearchMode, SearchQuery
from shared.store.cursors import InvalidCursor, decode_cursor, encode_cursor

# How far a result list pages (the index's offset limit).
MAX_OFFSET = 1_000
_WORD = re.compile(r"\w+", re.UNICODE)
# Words shorter than this are not highlighted: "a", "to" and "of" would light up every description.
_MIN_HIGHLIGHT = 3
_HIGHLIGHT_FIELDS = ("title", "description")


class MarketplaceSearch(BaseModel):
    q: str = ""
    mode: SearchMode = SearchMode.hybrid
    kind: str | None = None
    category: str | None = None
    publisher: str | None = None
    verified: bool | None = None
    license: str | None = None
    rating: float | None = None
    limit: int = 20
    cursor: str | None = None


class MarketplaceHit(BaseModel):
    namespace: str
    name: str
    kind: str
    title: str
    description: str
    categories: list[str]
    latest_version: str
    publisher_verified: bool
    license: str
    rating: float | None
    score: float
    highlights: dict[str, str] = Field(
        description="Per field (title, description) that matched a query word: its text, HTML-escaped, with each "
        "matching word in <mark></mark>"
    )


class FacetCount(BaseModel):
    value: str
    count: int


class MarketplaceSearchPage(BaseModel):
    items: list[MarketplaceHit]
    total: int
    facets: dict[str, list[FacetCount]] = Field(
        description="Counts per value of kind, category, publisher, verified and license over every match, and "
        "`rating`: the matches rated at least 4, 3, 2 and 1 stars (each value is what the `rating` filter takes; "
        "empty ones left out)"
    )
    next_cursor: str | None = None


class Suggestions(BaseModel):
    items: list[str]


def _cursor_scope(search: MarketplaceSearch) -> str:
    """A cursor is bound to the query it pages through (another query's cursor is refused)."""
    fields = search.model_dump(mode="json", exclude={"cursor", "limit"})
    return "marketplace-search:" + hashlib.sha256(repr(sorted(fields.items())).encode()).hexdigest()[:16]


def highlighted(text: str, words: set[str]) -> str | None:
    """`text` HTML-escaped, each word that starts with a query word marked; None when none does."""
    marked, last, found = [], 0, False
    for match in _WORD.finditer(text):
        word = match.group().lower()
        if any(word.startswith(query_word) for query_word in words):
            marked += [html.escape(text[last : match.start()]), f"<mark>{html.escape(match.group())}</mark>"]
            last, found = match.end(), True
    return "".join([*marked, html.escape(text[last:])]) if found else None


def _offset(search: MarketplaceSearch) -> int:
    if not search.cursor:
        return 0
    offset = str(decode_cursor(_cursor_scope(search), search.cursor, {"offset": None})["offset"]["S"])
    if not offset.isdigit() or int(offset) > MAX_OFFSET:
        raise InvalidCursor("The cursor does not point into this list; pass the next_cursor of a previous page")
    return int(offset)


def search_marketplace(search: MarketplaceSearch) -> MarketplaceSearchPage:
    offset = _offset(search)
    query = SearchQuery(
        text=search.q,
        mode=search.mode,
        limit=search.limit,
        offset=offset,
        filters=SearchFilters(
            kind=search.kind,
            category=search.category,
            namespace=search.publisher,
            verified=search.verified,
            licence=search.license,
            min_rating=search.rating,
        ),
    )
    text = search.q.strip()
    vector = embed([text], "search_query")[0] if text and search.mode is not SearchMode.keyword else None
    results = search_index().search(query, vector)
    words = {word.lower() for word in _WORD.findall(text) if len(word) >= _MIN_HIGHLIGHT}
    items = []
    for hit in results.hits:
        document = hit.document
        marks = {field: highlighted(getattr(document, field), words) for field in _HIGHLIGHT_FIELDS}
        items.append(
            MarketplaceHit(
                namespace=document.namespace,
                name=document.name,
                kind=document.kind,
                title=document.title,
                description=document.description,
                categories=list(document.categories),
                latest_version=document.version,
                publisher_verified=document.verified,
                license=document.licence,
                rating=document.rating,
                score=hit.score,
                highlights={field: text for field, text in marks.items() if text is not None},
            )
        )
    following = query.offset + query.limit
    has_more = following < results.total and following <= MAX_OFFSET
    renamed = {"namespace": "publisher", "licence": "license"}
    return MarketplaceSearchPage(
        items=items,
        total=results.total,
        facets={
            renamed.get(facet, facet): [FacetCount(value=value.value, count=value.count) for value in values]
            for facet, values in results.facets.items()
        },
        next_cursor=encode_cursor(_cursor_scope(search), {"offset": {"S": str(following)}}) if has_more else None,
    )


def suggest_titles(prefix: str, limit: int = 8) -> Suggestions:
    return Suggestions(items=search_index().suggest(prefix, limit))
