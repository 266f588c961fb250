"""Ends carried across `forge dev`'s processes: a sync wait in one API worker woken by the status path in another.

execution_events runs in whichever API worker the emulation hands it to (devserver/function_workers.py), and the
delivery waiting for that execution's end may be in another. The emulation process holds an `EndBoard`: the status
path publishes each ended record to it (`settle_change` → `signal_end`), and a waiting worker asks it with one
request that returns as soon as the end is there (a long poll over the data plane's keep-alive connections,
devserver/data_plane.py). An end is kept for `RETAIN_SECONDS`, so a waiter that asks after the end was published
(its execution ended while the delivery was still being answered) finds it at once: no read of the record, no timer.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, BinaryIO
from urllib.parse import urlsplit

if TYPE_CHECKING:
    # Imported when first used: its table name is read from the environment `forge dev` sets up after importing this.
    from shared.store.executions import ExecutionItem

logger = logging.getLogger("nexus_forge.local")

ENDS_PATH = "/forge/execution-ends/"
RETAIN_SECONDS = 60.0
# A wait's request outlives its wait by this much before the waiter gives up on the answer.
ANSWER_MARGIN_SECONDS = 5.0


def encode_record(record: ExecutionItem) -> bytes:
    # An end written without reading its record carries only the end (shared/executions/record.py, ended_as_applied).
    return json.dumps(record.serialize(null_check=False)).encode()


def decode_record(data: bytes) -> ExecutionItem:
    from shared.store.executions import ExecutionItem

    return ExecutionItem.from_raw_data(json.loads(data))


def ends_path(tenant_id: str, execution_id: str) -> str:
    return f"{ENDS_PATH}{tenant_id}/{execution_id}"


class EndBoard:
    """Ended records by (tenant, execution), kept `retain_seconds`, and who waits for those not ended yet."""

    def __init__(self, retain_seconds: float = RETAIN_SECONDS) -> None:
        self.retain_seconds = retain_seconds
        self._ended: dict[tuple[str, str], bytes] = {}
        self._published: deque[tuple[float, tuple[str, str]]] = deque()
        self._waiting: dict[tuple[str, str], list[Callable[[], None]]] = {}
        self._lock = threading.Lock()

    def publish(self, key: tuple[str, str], record: bytes) -> None:
        now = time.monotonic()
        with self._lock:
            while self._published and self._published[0][0] < now - self.retain_seconds:
                self._ended.pop(self._published.popleft()[1], None)
            self._ended[key] = record
            self._published.append((now, key))
            waiting = self._waiting.pop(key, [])
        for notify in waiting:
            notify()

    def wait(self, key: tuple[str, str], timeout: float) -> bytes | None:
        woken = threading.Event()
        notify = woken.set
        ended = self.notify_when_ended(key, notify)
        if ended is None:
            woken.wait(timeout)
            ended = self.stop_notifying(key, notify)
        return ended

    def notify_when_ended(self, key: tuple[str, str], notify: Callable[[], None]) -> bytes | None:
        """The record if `key` has ended; otherwise None, and `notify` is called once it ends (on the thread that
        publishes it) unless `stop_notifying` is called first. A wait without a thread of its own (the data plane)."""
        with self._lock:
            if key in self._ended:
                return self._ended[key]
            self._waiting.setdefault(key, []).append(notify)
            return None

    def stop_notifying(self, key: tuple[str, str], notify: Callable[[], None]) -> bytes | None:
        """Forgets `notify`; the record if `key` has ended."""
        with self._lock:
            others = [other for other in self._waiting.get(key, []) if other is not notify]
            if others:
                self._waiting[key] = others
            else:
                self._waiting.pop(key, None)
            return self._ended.get(key)

    def __len__(self) -> int:
        return len(self._ended)


class BoardRelay:
    """The `EndRelay` of the emulation process: the board itself."""

    def __init__(self, board: EndBoard) -> None:
        self.board = board

    def publish(self, tenant_id: str, record: ExecutionItem) -> None:
        self.board.publish((tenant_id, str(record.execution_id)), encode_record(record))

    def wait(self, tenant_id: str, execution_id: str, timeout: float) -> ExecutionItem | None:
        ended = self.board.wait((tenant_id, execution_id), timeout)
        return decode_record(ended) if ended is not None else None


class DataPlaneRelay:
    """The `EndRelay` of an API worker: the emulation's board over the data plane, one keep-alive connection per
    thread, written and read by hand as the workers' DynamoDB calls are (devserver/data_plane.py: http.client parsed
    each answer's headers with the email package). A relay that cannot be reached is logged and answers None (the
    waiter then reads the record)."""

    def __init__(self, data_plane_url: str) -> None:
        address = urlsplit(data_plane_url)
        self.host = address.hostname or "127.0.0.1"
        self.port = address.port or 80
        self._local = threading.local()

    def publish(self, tenant_id: str, record: ExecutionItem) -> None:
        try:
            self._request("POST", ends_path(tenant_id, str(record.execution_id)), encode_record(record), None)
        except OSError:
            logger.exception("publishing the end of %s to the emulation failed", record.execution_id)

    def wait(self, tenant_id: str, execution_id: str, timeout: float) -> ExecutionItem | None:
        path = f"{ends_path(tenant_id, execution_id)}?wait={timeout:.3f}"
        try:
            status, body = self._request("GET", path, b"", timeout + ANSWER_MARGIN_SECONDS)
        except OSError:
            logger.exception("waiting for the end of %s on the emulation failed", execution_id)
            return None
        return decode_record(body) if status == 200 else None

    def _request(self, method: str, path: str, body: bytes, timeout: float | None) -> tuple[int, bytes]:
        """One request on this thread's connection; both requests are idempotent, so one the emulation closed the
        kept-alive connection under is sent once more on a new one."""
        try:
            return self._send(method, path, body, timeout)
        except OSError:
            self._close()
            return self._send(method, path, body, timeout)

    def _send(self, method: str, path: str, body: bytes, timeout: float | None) -> tuple[int, bytes]:
        connection, stream = self._connection()
        connection.settimeout(timeout)
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nContent-Length: {len(body)}\r\n\r\n"
        connection.sendall(head.encode("latin-1") + body)
        answered = _read_answer(stream)
        if answered is None:
            raise ConnectionResetError("the data plane closed the connection before answering")
        return answered

    def _connection(self) -> tuple[socket.socket, BinaryIO]:
        kept: tuple[socket.socket, BinaryIO] | None = getattr(self._local, "connection", None)
        if kept is None:
            connection = socket.create_connection((self.host, self.port))
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            kept = (connection, connection.makefile("rb"))
            self._local.connection = kept
        return kept

    def _close(self) -> None:
        kept: tuple[socket.socket, BinaryIO] | None = getattr(self._local, "connection", None)
        self._local.connection = None
        if kept is not None:
            kept[1].close()
            kept[0].close()


_MAX_LINE = 65536


def _read_answer(stream: BinaryIO) -> tuple[int, bytes] | None:
    """The status and body of the data plane's next answer (it always says its Content-Length), or None if the
    connection closed first. (devserver/data_plane.py imports this module, so its reader is not imported here.)"""
    parts = stream.readline(_MAX_LINE).split(None, 2)
    if len(parts) < 2:
        return None
    length = 0
    while (line := stream.readline(_MAX_LINE)) not in (b"\r\n", b"\n", b""):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    body = stream.read(length)
    return (int(parts[1]), body) if len(body) == length else None
