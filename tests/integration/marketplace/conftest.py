"""The marketplace's local index file and the platform table's stream (the scanner and the search indexer behind it)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devserver.emulation import LOCAL_PREFIX
from devserver.lambda_runtime import LocalLambdaRuntime
from devserver.table_stream_poller import TableStreamPoller
from shared.marketplace.search.index import search_index
from shared.settings import get_settings


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
