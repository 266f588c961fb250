"""The ends of executions carried between `forge dev`'s processes (devserver/end_relay.py): a sync wait in one API
worker is answered by the end the status path published in another, whether it began waiting before or after."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from devserver.data_plane import DataPlane, MotoDispatch, bind_data_plane
from devserver.end_relay import DataPlaneRelay, EndBoard
from shared.store.executions import ExecutionItem


def ended_record(execution_id: str) -> ExecutionItem:
    return ExecutionItem(
        pk="TENANT#t-1#EXECUTIONS",
        sk=execution_id,
        execution_id=execution_id,
        workflow_id="wf-1",
        version=3,
        trigger="webhook",
        status="SUCCEEDED",
        started_at=datetime(2026, 12, 6, 1, 0, tzinfo=UTC),
        stopped_at=datetime(2026, 12, 6, 1, 0, 1, tzinfo=UTC),
        execution_arn="arn:aws:states:us-east-1:123456789012:execution:m:e",
        output={"ok": True, "id": "msg_1"},
    )


@pytest.fixture
def data_plane_url() -> Iterator[str]:
    listener, url = bind_data_plane("127.0.0.1")
    plane = DataPlane("us-east-1", lambda method, target: None, MotoDispatch(), EndBoard())
    plane.start(listener)
    yield url
    plane.stop()


def test_a_waiter_in_one_worker_gets_the_end_published_by_another(data_plane_url: str) -> None:
    waiting, publishing = DataPlaneRelay(data_plane_url), DataPlaneRelay(data_plane_url)
    got: list[ExecutionItem | None] = []
    waiter = threading.Thread(target=lambda: got.append(waiting.wait("t-1", "e-1", 30.0)))
    waiter.start()

    publishing.publish("t-1", ended_record("e-1"))
    waiter.join(timeout=30)

    assert [(record.status, record.output) for record in got if record is not None] == [
        ("SUCCEEDED", {"ok": True, "id": "msg_1"})
    ]


def test_a_waiter_that_asks_after_the_end_gets_it_at_once_and_another_executions_waiter_nothing(
    data_plane_url: str,
) -> None:
    relay = DataPlaneRelay(data_plane_url)
    relay.publish("t-1", ended_record("e-2"))

    late = relay.wait("t-1", "e-2", 30.0)

    assert late is not None and late.stopped_at == datetime(2026, 12, 6, 1, 0, 1, tzinfo=UTC)
    assert relay.wait("t-1", "e-3", 0.0) is None
    assert relay.wait("t-2", "e-2", 0.0) is None


def test_a_relay_keeps_one_connection_a_thread_without_http_client_and_opens_another_once_it_is_closed(
    data_plane_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the standard library's HTTP client out of reach (it parsed every answer's headers with the email package)
    import http.client

    monkeypatch.setattr(http.client, "HTTPConnection", None)
    relay = DataPlaneRelay(data_plane_url)
    relay.publish("t-1", ended_record("e-4"))
    kept = relay._connection()

    # When the kept connection is shut, as by an emulation that closed it meanwhile
    kept[0].shutdown(socket.SHUT_RDWR)
    ended = relay.wait("t-1", "e-4", 30.0)

    # Then the end still comes back, on a new connection kept for what follows
    assert ended is not None and ended.output == {"ok": True, "id": "msg_1"}
    assert relay._connection() is not kept and relay.wait("t-1", "e-4", 0.0) is not None
