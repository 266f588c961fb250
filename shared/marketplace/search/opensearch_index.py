"""The marketplace's search index in the cloud: one index of an OpenSearch Serverless vector search collection
(infra/constructs/marketplace_search.py), spoken to over its REST API with SigV4-signed requests (service `aoss`).

It answers what the embedded index (sqlite_index.py) answers, with OpenSearch's own scoring:
- keyword: BM25 over title (x5), name (x4), categories (x2), namespace and description (`multi_match`, most_fields);
- semantic: k-NN radial search on the listing's embedding (faiss HNSW, inner product of unit vectors, so a cosine of
  0.25 or more is a match, as locally; OpenSearch scores it 1 + cosine);
- hybrid: both, summed, the BM25 part scaled so the best allowed keyword match adds a tenth (one more request finds
  that best score first);
- every text query's score multiplied by the item's measured-performance factor (`rank_factor`, precomputed per
  document); no text: the most installed first; filters are `bool` filters, facets `terms` aggregations over every
  match, the rating facet a `range` aggregation of overlapping "N stars and up" buckets; suggestions are
  `bool_prefix` matches on the title's search-as-you-type field and the name.
Requests are signed for the collection's region, which is the primary's wherever the function runs (one collection
serves every region: docs/marketplace.md, "Search in every region").
The index and its mapping are created on the first write (idempotent: an index another writer created is used). A
search before any write finds nothing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from shared.aws.signed_http import SignedResponse, ndjson, signed_request
from shared.marketplace.search.model import (
    RATING_FACET_STARS,
    FacetValue,
    SearchDocument,
    SearchFilters,
    SearchHit,
    SearchMode,
    SearchQuery,
    SearchResults,
    rating_facet,
)

INDEX_NAME = "marketplace-items"
SERVICE = "aoss"
# As in the embedded index: the cosine below which a document does not match by meaning, and the keyword share of a
# hybrid score.
_MIN_SIMILARITY = 0.25
_KEYWORD_SHARE = 0.1
_KEYWORD_FIELDS = ["title^5", "name_words^4", "categories.text^2", "namespace.text", "description"]
_SUGGEST_FIELDS = ["title", "title._2gram", "title._3gram", "name_words"]
# Documents per `_bulk` request: with 1,024-dimension embeddings about 4 MB.
_BULK_DOCUMENTS = 200
_PAGE = 1_000
# Facet name → field, as the embedded index names them.
_FACETS = {
    "kind": "kind",
    "category": "categories",
    "namespace": "namespace",
    "verified": "verified",
    "licence": "licence",
}
_FACET_SIZE = 100
_RATING_FACET = "rating"
_FACET_NAMES = (*_FACETS, _RATING_FACET)


class SearchIndexError(RuntimeError):
    """OpenSearch refused a request (its status and error type are in the message)."""


def index_mapping(dimensions: int) -> dict[str, Any]:
    keyword_and_words = {"type": "keyword", "fields": {"text": {"type": "text"}}}
    return {
        "settings": {"index": {"knn": True}},
        "mappings": {
            "properties": {
                "item_id": {"type": "keyword"},
                "kind": {"type": "keyword"},
                "namespace": keyword_and_words,
                "name_words": {"type": "text"},
                "title": {"type": "search_as_you_type", "analyzer": "english"},
                "description": {"type": "text", "analyzer": "english"},
                "categories": keyword_and_words,
                "verified": {"type": "boolean"},
                "licence": {"type": "keyword"},
                "rating": {"type": "float"},
                "installs": {"type": "integer"},
                "rank_factor": {"type": "float"},
                # The document as search returns it; stored, not indexed.
                "document": {"type": "object", "enabled": False},
                "embedding": {
                    "type": "knn_vector",
                    "dimension": dimensions,
                    "method": {"name": "hnsw", "engine": "faiss", "space_type": "innerproduct"},
                },
            }
        },
    }


def _unit(vector: Sequence[float]) -> list[float]:
    norm = math.sqrt(sum(value * value for value in vector)) or 1.0
    return [value / norm for value in vector]


def _filters(filters: SearchFilters) -> list[dict[str, Any]]:
    terms: dict[str, object] = {"kind": filters.kind, "categories": filters.category, "namespace": filters.namespace}
    terms |= {"verified": filters.verified, "licence": filters.licence}
    clauses: list[dict[str, Any]] = [{"term": {field: value}} for field, value in terms.items() if value is not None]
    if filters.min_rating is not None:
        clauses.append({"range": {"rating": {"gte": filters.min_rating}}})
    return clauses


def _aggregations() -> dict[str, Any]:
    aggregations: dict[str, Any] = {
        facet: {"terms": {"field": field, "size": _FACET_SIZE}} for facet, field in _FACETS.items()
    }
    ranges = [{"key": str(stars), "from": stars} for stars in RATING_FACET_STARS]
    aggregations[_RATING_FACET] = {"range": {"field": "rating", "ranges": ranges}}
    return aggregations


def _error_type(response: SignedResponse) -> str:
    try:
        error = response.json().get("error", {})
    except ValueError:
        return ""
    return str(error.get("type", "")) if isinstance(error, dict) else str(error)


class OpenSearchIndex:
    def __init__(self, endpoint: str, dimensions: int, index_name: str = INDEX_NAME, region: str | None = None) -> None:
        self._base = f"{endpoint.rstrip('/')}/{index_name}"
        self._dimensions = dimensions
        self._region = region
        self._ready = False

    def upsert(self, documents: Sequence[SearchDocument], vectors: Sequence[Sequence[float]] | None = None) -> None:
        """Adds or replaces documents (by item id, the document id), with their embeddings."""
        for vector in vectors or ():
            if len(vector) != self._dimensions:
                raise ValueError(f"an embedding has {len(vector)} dimensions, the index {self._dimensions}")
        self._ensure_index()
        for start in range(0, len(documents), _BULK_DOCUMENTS):
            lines: list[dict[str, Any]] = []
            for position in range(start, min(start + _BULK_DOCUMENTS, len(documents))):
                document = documents[position]
                source = self._source(document)
                if vectors is not None:
                    source["embedding"] = _unit(vectors[position])
                lines += [{"index": {"_id": document.item_id}}, source]
            self._bulk(lines)

    def remove(self, item_ids: Iterable[str]) -> None:
        lines = [{"delete": {"_id": item_id}} for item_id in item_ids]
        if lines:
            self._bulk(lines, missing_is_fine=True)

    def stored(self, item_ids: Iterable[str]) -> dict[str, tuple[SearchDocument, list[float] | None]]:
        ids = list(item_ids)
        if not ids:
            return {}
        answer = self._call("POST", "/_mget", {"ids": ids, "_source": ["document", "embedding"]})
        if answer is None:
            return {}
        held = [found["_source"] for found in answer["docs"] if found.get("found")]
        return {
            source["document"]["item_id"]: (SearchDocument.model_validate(source["document"]), source.get("embedding"))
            for source in held
        }

    def item_ids(self) -> set[str]:
        found: set[str] = set()
        body: dict[str, Any] = {"size": _PAGE, "_source": False, "sort": [{"item_id": "asc"}]}
        while True:
            answer = self._call("POST", "/_search", body)
            hits = [] if answer is None else answer["hits"]["hits"]
            found |= {hit["_id"] for hit in hits}
            if len(hits) < _PAGE:
                return found
            body = {**body, "search_after": hits[-1]["sort"]}

    def search(self, query: SearchQuery, query_vector: Sequence[float] | None = None) -> SearchResults:
        """Ranks the documents that pass the filters (modes as in the embedded index: semantic and hybrid rank by
        meaning only with `query_vector`, semantic without it finds nothing); no text: the most installed first."""
        text = query.text.strip()
        filters = _filters(query.filters)
        body: dict[str, Any] = {
            "from": query.offset,
            "size": query.limit,
            "track_total_hits": True,
            "_source": ["document"],
            "aggs": _aggregations(),
        }
        if not text:
            body["query"] = {"bool": {"filter": filters}}
            body["sort"] = [{"installs": "desc"}, {"rating": {"order": "desc", "missing": "_last"}}, {"item_id": "asc"}]
        else:
            scoring = self._scoring(text, query.mode, query_vector, filters)
            if scoring is None:
                return SearchResults(hits=[], total=0, facets={facet: [] for facet in _FACET_NAMES})
            body["query"] = {
                "function_score": {
                    "query": {"bool": {"must": [scoring], "filter": filters}},
                    "functions": [{"field_value_factor": {"field": "rank_factor", "missing": 1}}],
                    "boost_mode": "multiply",
                }
            }
            body["sort"] = [{"_score": "desc"}, {"item_id": "asc"}]
            body["track_scores"] = True
        answer = self._call("POST", "/_search", body)
        if answer is None:
            return SearchResults(hits=[], total=0, facets={facet: [] for facet in _FACET_NAMES})
        hits = []
        for hit in answer["hits"]["hits"]:
            document = SearchDocument.model_validate(hit["_source"]["document"])
            score = hit.get("_score") if text else document.installs + (document.rating or 0) / 10
            hits.append(SearchHit(document=document, score=round(float(score or 0), 6)))
        return SearchResults(
            hits=hits, total=int(answer["hits"]["total"]["value"]), facets=self._facets(answer.get("aggregations", {}))
        )

    def suggest(self, prefix: str, limit: int = 8) -> list[str]:
        """Titles (or names) with a word starting with what was typed last, the most installed first."""
        if not prefix.strip():
            return []
        answer = self._call(
            "POST",
            "/_search",
            {
                "size": limit,
                "_source": ["document.title"],
                "query": {"multi_match": {"query": prefix, "type": "bool_prefix", "fields": _SUGGEST_FIELDS}},
                "sort": [{"installs": "desc"}, {"_score": "desc"}],
            },
        )
        return [] if answer is None else [str(hit["_source"]["document"]["title"]) for hit in answer["hits"]["hits"]]

    def _scoring(
        self, text: str, mode: SearchMode, query_vector: Sequence[float] | None, filters: list[dict[str, Any]]
    ) -> dict[str, Any] | None:
        words = {"multi_match": {"query": text, "type": "most_fields", "fields": _KEYWORD_FIELDS}}
        if mode is SearchMode.keyword or (mode is SearchMode.hybrid and query_vector is None):
            return words
        if query_vector is None:
            return None
        if len(query_vector) != self._dimensions:
            raise ValueError(f"an embedding has {len(query_vector)} dimensions, the index {self._dimensions}")
        meaning = {"knn": {"embedding": {"vector": _unit(query_vector), "min_score": 1 + _MIN_SIMILARITY}}}
        if mode is SearchMode.semantic:
            return meaning
        best = self._best_keyword_score(words, filters)
        if not best:
            return meaning
        scaled = {"multi_match": {**words["multi_match"], "boost": _KEYWORD_SHARE / best}}
        return {"bool": {"should": [meaning, scaled], "minimum_should_match": 1}}

    def _best_keyword_score(self, words: dict[str, Any], filters: list[dict[str, Any]]) -> float | None:
        answer = self._call(
            "POST", "/_search", {"size": 1, "_source": False, "query": {"bool": {"must": [words], "filter": filters}}}
        )
        best = None if answer is None else answer["hits"].get("max_score")
        return float(best) if best else None

    @staticmethod
    def _facets(aggregations: dict[str, Any]) -> dict[str, list[FacetValue]]:
        facets: dict[str, list[FacetValue]] = {}
        for facet in _FACETS:
            buckets = aggregations.get(facet, {}).get("buckets", [])
            values = [
                FacetValue(value=str(bucket.get("key_as_string", bucket["key"])), count=int(bucket["doc_count"]))
                for bucket in buckets
            ]
            facets[facet] = sorted(values, key=lambda value: (-value.count, value.value))
        rated = aggregations.get(_RATING_FACET, {}).get("buckets", [])
        facets[_RATING_FACET] = rating_facet({int(bucket["key"]): int(bucket["doc_count"]) for bucket in rated})
        return facets

    @staticmethod
    def _source(document: SearchDocument) -> dict[str, Any]:
        return {
            "item_id": document.item_id,
            "kind": document.kind,
            "namespace": document.namespace,
            "name_words": document.name.replace("-", " ").replace("_", " "),
            "title": document.title,
            "description": document.description,
            "categories": list(document.categories),
            "verified": document.verified,
            "licence": document.licence,
            "rating": document.rating,
            "installs": document.installs,
            "rank_factor": document.rank_factor(),
            "document": document.model_dump(mode="json"),
        }

    def _ensure_index(self) -> None:
        if self._ready:
            return
        if self._signed("HEAD", self._base).status == 404:
            created = self._signed("PUT", self._base, index_mapping(self._dimensions))
            if created.status >= 300 and _error_type(created) != "resource_already_exists_exception":
                raise SearchIndexError(f"creating {self._base}: {created.status} {created.body[:500]!r}")
        self._ready = True

    def _bulk(self, lines: list[dict[str, Any]], missing_is_fine: bool = False) -> None:
        response = self._signed("POST", f"{self._base}/_bulk", ndjson(lines), "application/x-ndjson")
        if missing_is_fine and response.status == 404:
            return
        if response.status >= 300:
            raise SearchIndexError(f"_bulk: {response.status} {response.body[:500]!r}")
        answer = response.json()
        if answer.get("errors"):
            failed = [
                result
                for item in answer["items"]
                for result in item.values()
                if result.get("status", 200) >= 300 and not (missing_is_fine and result.get("status") == 404)
            ]
            if failed:
                raise SearchIndexError(f"_bulk: {len(failed)} failed, the first: {failed[0].get('error')}")

    def _signed(
        self, method: str, url: str, body: bytes | dict[str, Any] | None = None, content_type: str = "application/json"
    ) -> SignedResponse:
        return signed_request(method, url, SERVICE, body, content_type, region=self._region)

    def _call(self, method: str, path: str, body: dict[str, Any]) -> Any:
        """The JSON answer, or None when the index does not exist yet (nothing was ever written)."""
        response = self._signed(method, self._base + path, body)
        if response.status == 404 and _error_type(response) == "index_not_found_exception":
            return None
        if response.status >= 300:
            raise SearchIndexError(f"{method} {path}: {response.status} {response.body[:500]!r}")
        return response.json()
