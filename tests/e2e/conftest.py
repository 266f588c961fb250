"""One `forge dev` shared by the e2e modules that only add tenants of their own to it (each start costs about 10 s on
a quiet machine). Package-scoped: it stops after the last e2e test. Modules that restart, kill or signal their
platform, or assert on everything a platform holds (the CLI's tenant list), start their own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devserver.subprocess_platform import LocalPlatform


@pytest.fixture(scope="package")
def shared_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPlatform]:
    running = LocalPlatform(state_dir=tmp_path_factory.mktemp("forge-shared"))
    running.start()
    yield running
    running.stop()
