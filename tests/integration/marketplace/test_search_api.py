"""Search over the local API, fed by the platform table's stream: versions published and approved reach the index
through the local event source mapping (the same indexer handler as in the cloud), are found by a paraphrase,
filtered, faceted, completed and paged (a cursor only for its own query); a yanked version leaves the results; a
lost index is rebuilt from the table."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from cli import app as cli_app
from cli.api import ApiClient
from cli.config import Profile
from cli.main import forge
from devserver.api import create_platform_api
from devserver.lambda_runtime import LocalLambdaRuntime
from devserver.table_stream_poller import TableStreamPoller
from shared.marketplace.search.index import search_index
from shared.marketplace.signing import generate_key_pair
from tests.integration.marketplace.test_publishing_api import publish, scanned, signed_upload
from tests.integration.workflows.test_workflow_api import tenant_headers


@pytest.fixture
def api(emulated_aws: LocalLambdaRuntime, issuer: Any, index_file: Path) -> Iterator[TestClient]:
    yield TestClient(create_platform_api(issuer), raise_server_exceptions=False)


def listing(name: str, title: str, description: str, categories: list[str]) -> dict[str, Any]:
    return {
        "kind": "workflow_template",
        "namespace": "acme",
        "name": name,
        "version": "1.0.0",
        "title": title,
        "description": description,
        "license": "MIT",
        "categories": categories,
        "workflow": {
            "name": name,
            "nodes": [
                {"id": "start", "type": "manual", "params": {}},
                {"id": "call", "type": "http_request", "params": {"url": "https://api.acme.example/run"}},
            ],
            "edges": [{"from": "start", "to": "call"}],
        },
    }


INVOICES = listing(
    "invoice-reminders",
    "Invoice reminders",
    "Emails customers whose invoices are overdue and records each reminder in the ledger.",
    ["finance"],
)
WEATHER = listing(
    "storm-alerts",
    "Storm alerts",
    "Posts a message to the team channel when the forecast announces heavy rain or wind.",
    ["weather"],
)


@pytest.fixture
def published(api: TestClient, issuer: Any, admin_headers: dict[str, str], stream: TableStreamPoller) -> dict[str, str]:
    """Two approved templates of `acme`, indexed from the stream; the publisher's headers."""
    headers = tenant_headers(api, issuer, admin_headers, "acme")
    private_pem, public_key = generate_key_pair()
    assert api.put("/v1/marketplace/namespaces/acme", headers=headers, json={"public_key": public_key}).is_success
    for manifest in (INVOICES, WEATHER):
        answer = publish(api, headers, signed_upload(manifest, {}, private_pem), stream)
        assert scanned(api, headers, answer)["status"] == "approved", answer.text
    assert stream.poll_once() > 0
    return headers


def test_a_published_template_is_found_by_a_paraphrase_with_highlights_and_facets(
    api: TestClient, published: dict[str, str]
) -> None:
    found = api.get(
        "/v1/marketplace/search", headers=published, params={"q": "chase clients who did not pay", "mode": "semantic"}
    )

    assert found.status_code == 200, found.text
    page = found.json()
    assert page["items"][0]["name"] == "invoice-reminders"
    assert page["items"][0]["latest_version"] == "1.0.0" and page["items"][0]["score"] > 0
    assert {"value": "workflow_template", "count": page["total"]} in page["facets"]["kind"]
    words = api.get("/v1/marketplace/search", headers=published, params={"q": "rain forecast", "mode": "keyword"})
    assert [hit["name"] for hit in words.json()["items"]] == ["storm-alerts"]
    assert words.json()["items"][0]["highlights"]["description"].count("<mark>") == 2
    filtered = api.get("/v1/marketplace/search", headers=published, params={"category": "weather"})
    assert [hit["name"] for hit in filtered.json()["items"]] == ["storm-alerts"]
    suggested = api.get("/v1/marketplace/search/suggestions", headers=published, params={"prefix": "Inv"})
    assert suggested.json()["items"] == ["Invoice reminders"]
    first = api.get("/v1/marketplace/search", headers=published, params={"limit": 1}).json()
    second = api.get(
        "/v1/marketplace/search", headers=published, params={"limit": 1, "cursor": first["next_cursor"]}
    ).json()
    assert {first["items"][0]["name"], second["items"][0]["name"]} == {"invoice-reminders", "storm-alerts"}
    assert second["next_cursor"] is None
    other = api.get("/v1/marketplace/search", headers=published, params={"q": "rain", "cursor": first["next_cursor"]})
    assert other.status_code == 400 and other.json()["invalid-params"][0]["name"] == "/query/cursor"


def test_a_yanked_version_leaves_the_results_and_a_lost_index_is_rebuilt_from_the_table(
    api: TestClient, published: dict[str, str], stream: TableStreamPoller, index_file: Path
) -> None:
    yanked = api.post("/v1/marketplace/items/acme/storm-alerts/versions/1.0.0/yank", headers=published)
    assert yanked.status_code == 200, yanked.text
    stream.poll_once()
    names = [hit["name"] for hit in api.get("/v1/marketplace/search", headers=published).json()["items"]]
    assert names == ["invoice-reminders"]

    search_index().remove(search_index().item_ids())
    stream.rebuild()

    names = [hit["name"] for hit in api.get("/v1/marketplace/search", headers=published).json()["items"]]
    assert names == ["invoice-reminders"]


def test_forge_marketplace_search_lists_what_a_sentence_describes(
    api: TestClient, published: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    client = ApiClient(Profile(base_url="http://testserver", credential="unused"))
    client._http = cast(httpx.Client, TestClient(api.app, headers=published))
    monkeypatch.setattr(cli_app.Invocation, "client", lambda self: client)

    found = CliRunner().invoke(
        forge, ["marketplace", "search", "warn us before bad weather", "--kind", "workflow_template", "-q"]
    )

    assert found.exit_code == 0, found.output
    assert found.output.splitlines()[0] == "acme/storm-alerts"


BAD_PARAMETERS = [
    ({"mode": "fuzzy"}, "/query/mode"),
    ({"rating": "9"}, "/query/rating"),
    ({"kind": "plugin"}, "/query/kind"),
    ({"limit": "500"}, "/query/limit"),
    ({"publisher": "Not A Namespace"}, "/query/publisher"),
]


def test_a_bad_parameter_is_refused_naming_it(api: TestClient, issuer: Any, admin_headers: dict[str, str]) -> None:
    headers = tenant_headers(api, issuer, admin_headers, "browser")
    for parameters, field in BAD_PARAMETERS:
        refused = api.get("/v1/marketplace/search", headers=headers, params=parameters)
        assert refused.status_code == 422, parameters
        assert [param["name"] for param in refused.json()["invalid-params"]] == [field]
