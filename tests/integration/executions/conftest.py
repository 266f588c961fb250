from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.integration.tenancy.conftest import TenantWorld, api, make_tenant

__all__ = ["api"]


@pytest.fixture
def alpha(api: TestClient, issuer, admin_headers) -> TenantWorld:
    return make_tenant(api, issuer, admin_headers, "alpha", tier="basic")


@pytest.fixture
def bravo(api: TestClient, issuer, admin_headers) -> TenantWorld:
    return make_tenant(api, issuer, admin_headers, "bravo", tier="basic")


@pytest.fixture
def status_watcher(emulated_aws):
    """Delivers status-change events to the execution_events function, as EventBridge does in the cloud."""
    from devserver.emulation import LOCAL_PREFIX
    from devserver.execution_watcher import ExecutionStatusWatcher

    watcher = ExecutionStatusWatcher(emulated_aws, LOCAL_PREFIX)
    watcher.start()
    yield watcher
    watcher.stop()


@pytest.fixture
def usage_stream(emulated_aws):
    """The executions table's stream, delivered to execution_usage when a test calls `count_usage` (forge dev polls
    it; the event source mapping in the cloud)."""
    from devserver.emulation import LOCAL_PREFIX
    from devserver.table_stream_poller import TableStreamPoller
    from shared.resources import EXECUTIONS_TABLE

    poller = TableStreamPoller(emulated_aws, LOCAL_PREFIX)
    executions_table = EXECUTIONS_TABLE.physical_name(LOCAL_PREFIX)
    poller.consumers = {table: functions for table, functions in poller.consumers.items() if table == executions_table}
    return poller
