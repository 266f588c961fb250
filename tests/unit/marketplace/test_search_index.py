"""Marketplace search on a fixed corpus of real listings: the public-apis catalogue (bench/data/public_apis).

Relevance is judged by category: a query written without the category's words (bench/data/public_apis/queries.json)
should find that category's APIs in its top 5. Embeddings are the local model's (all-MiniLM-L6-v2).
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from pathlib import Path

import pytest

from devserver.local_embeddings import shared_embedder
from shared.marketplace.search.model import SearchDocument, SearchFilters, SearchMode, SearchQuery
from shared.marketplace.search.sqlite_index import SqliteSearchIndex

CORPUS = Path(__file__).resolve().parents[3] / "bench" / "data" / "public_apis"


def corpus_documents(per_category: int | None = 8) -> list[SearchDocument]:
    """The first `per_category` APIs of each category (all of them with None), as connector listings."""
    by_category: dict[str, list[dict[str, str]]] = defaultdict(list)
    for api in json.loads((CORPUS / "apis.json").read_text()):
        by_category[api["category"]].append(api)
    chosen = [api for apis in by_category.values() for api in apis[:per_category]]
    return [
        SearchDocument(
            item_id=f"public-apis/{position}",
            kind="connector",
            namespace="public-apis",
            name=api["name"].lower().replace(" ", "-"),
            title=api["name"],
            description=api["description"],
            categories=(api["category"],),
            verified=position % 3 == 0,
            licence="MIT" if position % 2 else "Apache-2.0",
            rating=float(position % 5 + 1),
            installs=position % 17,
        )
        for position, api in enumerate(chosen)
    ]


@pytest.fixture(scope="module")
def documents() -> list[SearchDocument]:
    return corpus_documents()


@pytest.fixture(scope="module")
def vectors(documents: list[SearchDocument]) -> list[list[float]]:
    return shared_embedder().embed([document.text() for document in documents])


@pytest.fixture
def index(documents: list[SearchDocument], vectors: list[list[float]]) -> SqliteSearchIndex:
    index = SqliteSearchIndex()
    index.upsert(documents, vectors)
    return index


def search(index: SqliteSearchIndex, text: str, mode: SearchMode = SearchMode.hybrid, **filters: object):
    query = SearchQuery(text=text, mode=mode, filters=SearchFilters.model_validate(filters))
    return index.search(query, shared_embedder().embed([text])[0] if text else None)


def precision_at_5(index: SqliteSearchIndex, mode: SearchMode) -> float:
    queries = json.loads((CORPUS / "queries.json").read_text())
    vectors = shared_embedder().embed([query["query"] for query in queries])
    found = 0
    for query, vector in zip(queries, vectors, strict=True):
        hits = index.search(SearchQuery(text=query["query"], mode=mode, limit=5), vector).hits
        found += sum(query["category"] in hit.document.categories for hit in hits)
    return found / (5 * len(queries))


def test_the_corpus_has_at_least_200_items(documents: list[SearchDocument]) -> None:
    assert len(documents) >= 200


def test_a_paraphrase_finds_its_category_better_by_meaning_than_by_words(index: SqliteSearchIndex) -> None:
    keyword, semantic, hybrid = (precision_at_5(index, mode) for mode in SearchMode)
    print(f"precision@5 over 32 queries: keyword {keyword:.3f}, semantic {semantic:.3f}, hybrid {hybrid:.3f}")
    assert semantic > keyword + 0.15
    assert hybrid >= semantic and hybrid >= 0.65


def test_an_exact_name_ranks_first_in_every_mode(index: SqliteSearchIndex, documents: list[SearchDocument]) -> None:
    for document in documents[::40]:
        for mode in SearchMode:
            assert search(index, document.title, mode).hits[0].document.title == document.title, (document, mode)


def test_filters_narrow_the_hits_and_facets_count_them(index: SqliteSearchIndex) -> None:
    everything = search(index, "weather forecast")
    weather = search(index, "weather forecast", category="Weather", verified=True)
    assert weather.hits and weather.total < everything.total
    assert all(hit.document.categories == ("Weather",) and hit.document.verified for hit in weather.hits)
    assert {facet.value: facet.count for facet in weather.facets["category"]} == {"Weather": weather.total}
    assert sum(facet.count for facet in everything.facets["licence"]) == everything.total
    assert not search(index, "weather forecast", min_rating=5, licence="none-such").hits


def test_no_text_lists_the_most_installed_first(index: SqliteSearchIndex) -> None:
    installs = [hit.document.installs for hit in search(index, "", kind="connector").hits]
    assert installs == sorted(installs, reverse=True) and installs[0] == 16


def test_autocomplete_completes_the_last_word_of_a_title(index: SqliteSearchIndex) -> None:
    suggestions = index.suggest("open wea")
    assert suggestions and all("wea" in title.lower() or "open" in title.lower() for title in suggestions)
    assert index.suggest("   ") == []


def test_an_upsert_replaces_and_a_removal_removes_from_words_and_meaning(
    index: SqliteSearchIndex, documents: list[SearchDocument]
) -> None:
    first = documents[0]
    renamed = first.model_copy(update={"title": "Zyxwv Pets", "description": "Adopt a zyxwv"})
    index.upsert([renamed], shared_embedder().embed([renamed.text()]))
    assert index.count() == len(documents)
    assert search(index, "zyxwv").hits[0].document.item_id == first.item_id
    index.remove([first.item_id])
    assert index.count() == len(documents) - 1
    for mode in SearchMode:
        assert first.item_id not in {hit.document.item_id for hit in search(index, "zyxwv pets adopt", mode).hits}


def test_a_second_process_sees_a_commit(tmp_path: Path, documents: list[SearchDocument], vectors) -> None:
    writer, reader = SqliteSearchIndex(tmp_path / "index.sqlite"), SqliteSearchIndex(tmp_path / "index.sqlite")
    assert search(reader, "weather", SearchMode.semantic).total == 0
    writer.upsert(documents[:50], vectors[:50])
    assert search(reader, documents[10].title, SearchMode.semantic).hits[0].document == documents[10]


def test_an_embedding_of_another_size_is_refused(index: SqliteSearchIndex, documents: list[SearchDocument]) -> None:
    with pytest.raises(ValueError, match="384"):
        index.upsert(documents[:1], [[0.1, 0.2]])


def test_an_index_file_of_the_previous_schema_opens_and_ranks_its_documents_as_unmeasured(tmp_path: Path) -> None:
    path = tmp_path / "index.sqlite"
    with sqlite3.connect(path) as old:
        old.executescript(
            "CREATE TABLE documents (rowid INTEGER PRIMARY KEY, item_id TEXT UNIQUE NOT NULL, body TEXT NOT NULL,"
            " kind TEXT NOT NULL, namespace TEXT NOT NULL, verified INTEGER NOT NULL, licence TEXT NOT NULL,"
            " rating REAL, installs INTEGER NOT NULL, vector BLOB)"
        )
        document = SearchDocument(
            item_id="acme/ping", kind="connector", namespace="acme", name="ping", title="Ping", description="Pings."
        )
        old.execute(
            "INSERT INTO documents (item_id, body, kind, namespace, verified, licence, installs)"
            " VALUES (?, ?, ?, ?, 0, '', 0)",
            (document.item_id, document.model_dump_json(), document.kind, document.namespace),
        )

    reopened = SqliteSearchIndex(path)

    assert reopened.search(SearchQuery()).hits[0].document == document
    reopened.upsert([document.model_copy(update={"success_rate": 1.0, "executions": 1_000})])
    assert reopened.count() == 1
