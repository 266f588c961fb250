"""The cloud's search index (OpenSearch Serverless) against a loopback double of its REST API: the index is created
once with its mapping, documents go in by `_bulk` NDJSON and come back by `_mget`, searches send bool filters,
multi_match, k-NN radial search and terms aggregations, every request SigV4-signed for `aoss` (the double verifies
each signature), and the answers are the SearchResults the embedded index gives the route. Both indexes rank an
item with the better measured success rate first among items equal in text."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devserver.emulation import LOCAL_REGION
from shared.marketplace.search import service
from shared.marketplace.search.index import SearchIndex, search_index
from shared.marketplace.search.model import SearchDocument, SearchFilters, SearchMode, SearchQuery
from shared.marketplace.search.opensearch_index import INDEX_NAME, OpenSearchIndex
from shared.marketplace.search.service import MarketplaceSearch, search_marketplace
from shared.marketplace.search.sqlite_index import SqliteSearchIndex
from shared.settings import get_settings
from tests.unit.marketplace.opensearch_double import OpenSearchDouble, opensearch_double


def listing(name: str, title: str, description: str, **fields: object) -> SearchDocument:
    return SearchDocument.model_validate(
        {
            "item_id": f"acme/{name}",
            "version": "1.0.0",
            "kind": "workflow_template",
            "namespace": "acme",
            "name": name,
            "title": title,
            "description": description,
            "categories": ["finance"],
            "licence": "MIT",
            **fields,
        }
    )


CORPUS = [
    listing("invoice-reminders", "Invoice reminders", "Emails customers whose bills are overdue.", installs=3),
    listing("ledger-sync", "Ledger sync", "Copies every paid invoice into the ledger.", installs=9, rating=4.5),
    listing(
        "weather-alerts",
        "Weather alerts",
        "Warns a channel before a storm.",
        kind="connector",
        categories=["weather"],
        licence="Apache-2.0",
        verified=True,
    ),
]
VECTORS = [[1.0, 0.0, 0.0, 0.0], [0.8, 0.6, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0]]


@pytest.fixture
def double() -> Iterator[OpenSearchDouble]:
    with opensearch_double(LOCAL_REGION) as double:
        yield double
        assert double.problems == []


@pytest.fixture
def index(double: OpenSearchDouble) -> OpenSearchIndex:
    index = OpenSearchIndex(double.endpoint, dimensions=4)
    index.upsert(CORPUS, VECTORS)
    return index


def test_the_first_write_creates_the_index_with_its_mapping_once(double: OpenSearchDouble) -> None:
    index = OpenSearchIndex(double.endpoint, dimensions=4)
    assert index.search(SearchQuery(text="invoice")).total == 0  # nothing written yet: no index, no hits

    index.upsert(CORPUS[:1], VECTORS[:1])
    OpenSearchIndex(double.endpoint, dimensions=4).upsert(CORPUS[1:2], VECTORS[1:2])  # another writer's process

    creations = [request for request in double.requests if request.method == "PUT"]
    assert len(creations) == 1 and creations[0].path == f"/{INDEX_NAME}"
    mapping = double.indexes[INDEX_NAME]
    assert mapping["settings"]["index"]["knn"] is True
    properties = mapping["mappings"]["properties"]
    assert properties["embedding"] == {
        "type": "knn_vector",
        "dimension": 4,
        "method": {"name": "hnsw", "engine": "faiss", "space_type": "innerproduct"},
    }
    assert {properties[facet]["type"] for facet in ("kind", "namespace", "categories", "licence")} == {"keyword"}
    assert properties["title"]["type"] == "search_as_you_type" and properties["verified"]["type"] == "boolean"
    assert [request.method for request in double.requests].count("HEAD") == 2


def test_documents_go_in_by_bulk_and_come_back_with_their_embeddings(
    index: OpenSearchIndex, double: OpenSearchDouble
) -> None:
    (bulk,) = [request for request in double.requests if request.path.endswith("/_bulk")]
    lines = bulk.body.decode().splitlines()
    assert bulk.headers["content-type"] == "application/x-ndjson" and len(lines) == 2 * len(CORPUS)

    stored = index.stored(["acme/ledger-sync", "acme/unknown"])

    assert set(stored) == {"acme/ledger-sync"}
    document, vector = stored["acme/ledger-sync"]
    assert document == CORPUS[1] and vector == pytest.approx(VECTORS[1])
    assert index.item_ids() == {document.item_id for document in CORPUS}
    index.remove(["acme/ledger-sync", "acme/never-indexed"])
    assert index.item_ids() == {"acme/invoice-reminders", "acme/weather-alerts"}


def test_keyword_search_ranks_filters_and_counts_facets(index: OpenSearchIndex) -> None:
    found = index.search(SearchQuery(text="invoice", mode=SearchMode.keyword))
    finance = index.search(SearchQuery(filters=SearchFilters(category="finance", min_rating=4)))
    verified = index.search(SearchQuery(filters=SearchFilters(verified=True, kind="connector")))

    # The title's word weighs more than the description's.
    assert [hit.document.name for hit in found.hits] == ["invoice-reminders", "ledger-sync"]
    assert found.total == 2 and found.facets["kind"][0].model_dump() == {"value": "workflow_template", "count": 2}
    assert [hit.document.name for hit in finance.hits] == ["ledger-sync"] and finance.hits[0].score == 9.45
    assert [hit.document.name for hit in verified.hits] == ["weather-alerts"]
    assert verified.facets["verified"][0].model_dump() == {"value": "true", "count": 1}


def test_semantic_search_is_a_radial_knn_on_unit_vectors_and_hybrid_adds_a_tenth_of_the_best_keyword_score(
    index: OpenSearchIndex, double: OpenSearchDouble
) -> None:
    semantic = index.search(SearchQuery(text="overdue bills", mode=SearchMode.semantic), [2.0, 0.0, 0.0, 0.0])
    knn = double.requests[-1].json()["query"]["function_score"]["query"]["bool"]["must"][0]["knn"]["embedding"]
    hybrid = index.search(SearchQuery(text="ledger", mode=SearchMode.hybrid), [2.0, 0.0, 0.0, 0.0])

    assert knn == {"vector": [1.0, 0.0, 0.0, 0.0], "min_score": 1.25}
    # Cosines 1 and 0.8 match; the weather connector (cosine 0) does not.
    assert [hit.document.name for hit in semantic.hits] == ["invoice-reminders", "ledger-sync"]
    assert semantic.total == 2 and [hit.score for hit in semantic.hits] == [2.0, 1.8]
    assert [hit.document.name for hit in hybrid.hits] == ["invoice-reminders", "ledger-sync"]
    assert hybrid.hits[1].score == pytest.approx(1.8 + 0.1)


def test_suggestions_complete_the_last_word_most_installed_first(index: OpenSearchIndex) -> None:
    assert index.suggest("led") == ["Ledger sync"]
    assert index.suggest("inv") == ["Invoice reminders"]
    assert index.suggest("  ") == []


def test_the_route_answers_the_same_page_from_either_index(
    index: OpenSearchIndex, double: OpenSearchDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    embedded = SqliteSearchIndex()
    embedded.upsert(CORPUS, VECTORS)
    search = MarketplaceSearch(q="invoice", mode=SearchMode.keyword, limit=1)

    monkeypatch.setattr(service, "search_index", lambda: embedded)
    local = search_marketplace(search)
    monkeypatch.setattr(service, "search_index", lambda: index)
    cloud = search_marketplace(search)

    assert [(item.name, item.highlights) for item in cloud.items] == [(i.name, i.highlights) for i in local.items]
    assert cloud.total == local.total == 2 and cloud.facets == local.facets
    assert cloud.next_cursor is not None and local.next_cursor is not None


def test_the_endpoint_setting_picks_the_cloud_index_sized_for_the_configured_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FORGE_MARKETPLACE_SEARCH_ENDPOINT", "https://abc.eu-west-1.aoss.amazonaws.com")
    monkeypatch.setenv("FORGE_MARKETPLACE_EMBEDDING_MODEL", "cohere.embed-english-v3")
    get_settings.cache_clear()
    search_index.cache_clear()
    try:
        chosen = search_index()
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
        search_index.cache_clear()

    assert isinstance(chosen, OpenSearchIndex) and chosen._dimensions == 1024
    assert isinstance(search_index(), SqliteSearchIndex)


def test_a_function_in_another_region_signs_for_the_collections_region(monkeypatch: pytest.MonkeyPatch) -> None:
    # The collection is in the primary region; the search route runs in a replica region (the function's own).
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-southeast-2")
    with opensearch_double("eu-west-1") as primary:
        monkeypatch.setenv("FORGE_MARKETPLACE_SEARCH_ENDPOINT", primary.endpoint)
        monkeypatch.setenv("FORGE_MARKETPLACE_SEARCH_REGION", "eu-west-1")
        monkeypatch.setenv("FORGE_MARKETPLACE_EMBEDDING_MODEL", "cohere.embed-english-v3")
        get_settings.cache_clear()
        search_index.cache_clear()
        try:
            found = search_marketplace(MarketplaceSearch(q="invoice", mode=SearchMode.keyword))
        finally:
            monkeypatch.undo()
            get_settings.cache_clear()
            search_index.cache_clear()

    assert found.total == 0 and primary.requests  # asked the primary's collection (no index written yet)
    assert primary.problems == []  # every request signed for eu-west-1, none for ap-southeast-2


@pytest.mark.parametrize("engine", ["sqlite", "opensearch"])
@pytest.mark.parametrize("mode", list(SearchMode))
def test_of_two_items_equal_in_text_the_better_measured_success_rate_ranks_first(
    engine: str, mode: SearchMode, double: OpenSearchDouble
) -> None:
    same = {"title": "Invoice reminders", "description": "Emails customers whose invoices are overdue."}
    # The weaker item is indexed first and sorts first by id: without the signal it would win the tie.
    weaker = listing("a-reminders", **same, success_rate=0.7, executions=400)
    stronger = listing("b-reminders", **same, success_rate=0.99, executions=400)
    unmeasured = listing("c-reminders", **same)
    index: SearchIndex = SqliteSearchIndex() if engine == "sqlite" else OpenSearchIndex(double.endpoint, dimensions=4)
    index.upsert([weaker, stronger, unmeasured], [[1.0, 0.0, 0.0, 0.0]] * 3)

    hits = index.search(SearchQuery(text="invoice reminders", mode=mode), [1.0, 0.0, 0.0, 0.0]).hits

    assert [hit.document.name for hit in hits] == ["b-reminders", "c-reminders", "a-reminders"]
    assert 1 < stronger.rank_factor() <= 1.1 and 0.9 <= weaker.rank_factor() < 1 and unmeasured.rank_factor() == 1


@pytest.mark.parametrize("engine", ["sqlite", "opensearch"])
def test_the_rating_facet_counts_matches_at_or_above_each_star_count(engine: str, double: OpenSearchDouble) -> None:
    rated = [
        listing("five", "Invoice five", "Bills.", rating=5.0),
        listing("four", "Invoice four", "Bills.", rating=4.0),
        listing("three", "Invoice three", "Bills.", rating=3.4),
        listing("one", "Invoice one", "Bills.", rating=1.2),
        listing("unrated", "Invoice unrated", "Bills."),
    ]
    index: SearchIndex = SqliteSearchIndex() if engine == "sqlite" else OpenSearchIndex(double.endpoint, dimensions=4)
    index.upsert(rated, [[1.0, 0.0, 0.0, 0.0]] * len(rated))

    everything = index.search(SearchQuery(text="invoice", mode=SearchMode.keyword)).facets["rating"]
    three_up = index.search(SearchQuery(text="invoice", mode=SearchMode.keyword, filters=SearchFilters(min_rating=3)))

    # Highest first, as a store lists "4 stars & up"; nothing rated 2 to 3 adds nothing, an unrated item counts in none.
    assert [facet.model_dump() for facet in everything] == [
        {"value": "4", "count": 2},
        {"value": "3", "count": 3},
        {"value": "2", "count": 3},
        {"value": "1", "count": 4},
    ]
    # Picking a value (the `rating` filter) leaves exactly the count it showed.
    assert three_up.total == 3 and [facet.value for facet in three_up.facets["rating"]] == ["4", "3", "2", "1"]
