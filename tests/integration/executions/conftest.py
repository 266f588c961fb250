from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pynamodb.connection.base import Connection

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
def executions_stream(emulated_aws):
    """The executions table's stream, delivered to execution_usage (the month counts, quality control of the ends)
    when a test calls `deliver_executions_stream` (forge dev polls it; the event source mapping in the cloud)."""
    from devserver.emulation import LOCAL_PREFIX
    from devserver.table_stream_poller import TableStreamPoller
    from shared.resources import EXECUTIONS_TABLE

    poller = TableStreamPoller(emulated_aws, LOCAL_PREFIX)
    executions_table = EXECUTIONS_TABLE.physical_name(LOCAL_PREFIX)
    poller.consumers = {table: functions for table, functions in poller.consumers.items() if table == executions_table}
    return poller


class DynamoDbCalls:
    """The DynamoDB operations made on the test's own thread (not the status watcher's), with their table."""

    def __init__(self) -> None:
        self.thread = threading.get_ident()
        self.calls: list[tuple[str, str]] = []

    def since(self, mark: int) -> list[str]:
        return [operation for operation, _ in self.calls[mark:]]

    def record_reads(self) -> int:
        return sum(1 for operation, table in self.calls if operation == "GetItem" and table.endswith("-executions"))


@pytest.fixture
def dynamodb_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[DynamoDbCalls]:
    counted = DynamoDbCalls()
    make_call = Connection._make_api_call

    def counting(self: Connection, operation_name: str, operation_kwargs: dict[str, Any]) -> dict[str, Any]:
        if threading.get_ident() == counted.thread:
            counted.calls.append((operation_name, str(operation_kwargs.get("TableName", ""))))
        answer: dict[str, Any] = make_call(self, operation_name, operation_kwargs)
        return answer

    monkeypatch.setattr(Connection, "_make_api_call", counting)
    yield counted
