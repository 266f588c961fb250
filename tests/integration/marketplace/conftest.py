"""The marketplace tests' fixtures: the platform's API with execution ends delivered, a publisher, the local index
file and the platform table's stream (the scanner and the search indexer behind it)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from devserver.api import create_platform_api
from devserver.emulation import LOCAL_PREFIX
from devserver.execution_watcher import ExecutionStatusWatcher
from devserver.lambda_runtime import LocalLambdaRuntime
from devserver.table_stream_poller import TableStreamPoller
from shared.marketplace.search.index import search_index
from shared.marketplace.signing import generate_key_pair
from shared.settings import get_settings
from tests.integration.workflows.test_workflow_api import tenant_headers


@pytest.fixture
def api(emulated_aws: Any, issuer: Any) -> Iterator[TestClient]:
    watcher = ExecutionStatusWatcher(emulated_aws, LOCAL_PREFIX)
    watcher.start()
    yield TestClient(create_platform_api(issuer), raise_server_exceptions=False)
    watcher.stop()


@pytest.fixture
def acme(api: TestClient, issuer: Any, admin_headers: dict[str, str]) -> tuple[dict[str, str], bytes]:
    """A tenant that reserved the namespace `acme` with its key: (its headers, its private key)."""
    headers = tenant_headers(api, issuer, admin_headers, "acme")
    private_pem, public_key = generate_key_pair()
    assert api.put("/v1/marketplace/namespaces/acme", headers=headers, json={"public_key": public_key}).is_success
    return headers, private_pem


@pytest.fixture(autouse=True)
def index_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "marketplace-search.sqlite3"
    monkeypatch.setenv("FORGE_MARKETPLACE_SEARCH_INDEX", str(path))
    get_settings.cache_clear()
    search_index.cache_clear()
    yield path
    search_index.cache_clear()


@pytest.fixture
def stream(emulated_aws: LocalLambdaRuntime) -> TableStreamPoller:
    return TableStreamPoller(emulated_aws, LOCAL_PREFIX)
