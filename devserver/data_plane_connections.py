"""The data plane's keep-alive HTTP/1.1 connections, all served by one thread that selects over them.

With a thread per kept connection (40 to 80 at c=32, one per request thread of a worker) every request woke
its own thread, which had to take the interpreter lock from the others before it could answer, and the emulation ran
at about 0.78 of a core while being the bottleneck. Here one thread reads every connection into its own buffer,
parses each request as it completes and hands it to `serve` with a `Reply`: a call that cannot block is answered at
once on this thread, back to back with the others; one that can wait is answered later, from any thread, and the
connection is not read meanwhile (HTTP/1.1 answers a connection's requests in order). Answers are sent without
blocking from a buffer per connection, so a slow reader holds up only itself.

A request is read as `http.server` would not: a request line, headers split at the colon, a Content-Length body
(the email package's header parser was 6% of the emulation at c=32). A request line that is not three words, a
Content-Length that is not a number of bytes, or the end of the connection ends it, as before; a request the client
did not finish is not answered (no one is left to read the answer).
"""

from __future__ import annotations

import collections
import contextlib
import heapq
import itertools
import logging
import selectors
import socket
import threading
import time
from collections.abc import Callable
from http import HTTPStatus

logger = logging.getLogger("nexus_forge.local")

# method, path (with its query), headers as sent, body
Request = tuple[str, str, dict[str, str], bytes]
# status, headers, body
Answer = tuple[int, dict[str, str], bytes]

MAX_LINE = 65536
_RECEIVE_BYTES = 262144
_ACCEPTS_A_ROUND = 64
_HOP_BY_HOP = ("content-length", "connection", "transfer-encoding", "server", "date")
_LISTENER = object()
_WAKE = object()


class _Connection:
    __slots__ = ("answering", "closing", "events", "inbox", "keep_alive", "open", "outbox", "read_ended", "socket")

    def __init__(self, connection: socket.socket) -> None:
        self.socket = connection
        self.inbox = bytearray()
        self.outbox = bytearray()
        self.answering = False  # a request was handed to `serve` and its answer is not in the outbox yet
        self.keep_alive = True
        self.closing = False  # closed once the outbox is sent
        self.read_ended = False
        self.events = 0
        self.open = True


class Reply:
    """Answers one request: call it once, on any thread."""

    __slots__ = ("_answered", "_connection", "loop")

    def __init__(self, loop: ConnectionLoop, connection: _Connection) -> None:
        self.loop = loop
        self._connection = connection
        self._answered = False

    def __call__(self, answer: Answer) -> None:
        if self._answered:
            return
        self._answered = True
        if self.loop._serving is self._connection:
            self.loop._answered(self._connection, answer)  # `_serve_inbox` goes on with the next request
        elif self.loop.on_loop_thread():
            self.loop._answered_later(self._connection, answer)
        else:
            self.loop.call_soon(lambda: self.loop._answered_later(self._connection, answer))


class Timer:
    """A call `ConnectionLoop.call_later` will make, unless cancelled first."""

    __slots__ = ("cancelled", "work")

    def __init__(self, work: Callable[[], None]) -> None:
        self.work = work
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class ConnectionLoop:
    """Serves the connections accepted on a listening socket from one thread; `serve(request, reply)` runs on it."""

    def __init__(self, serve: Callable[[Request, Reply], None], name: str) -> None:
        self.serve = serve
        self.name = name
        self._selector = selectors.DefaultSelector()
        self._connections: set[_Connection] = set()
        self._soon: collections.deque[Callable[[], None]] = collections.deque()
        self._timers: list[tuple[float, int, Timer]] = []
        self._timer_order = itertools.count()
        self._wake_reader, self._wake_writer = socket.socketpair()
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._thread_id = 0
        self._stopping = False
        self._serving: _Connection | None = None  # the connection whose request `serve` is running for

    def start(self, listener: socket.socket) -> None:
        """Serves the connections it accepts on `listener`, a listening socket other loops may accept on too."""
        self._listener = listener
        listener.setblocking(False)
        self._wake_reader.setblocking(False)
        self._wake_writer.setblocking(False)
        self._selector.register(listener, selectors.EVENT_READ, _LISTENER)
        self._selector.register(self._wake_reader, selectors.EVENT_READ, _WAKE)
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Closes every connection it accepted and ends its thread (a call answered later is dropped)."""
        if self._thread is None:
            return
        self._stopping = True
        self._wake()
        self._thread.join()
        self._thread = None

    def on_loop_thread(self) -> bool:
        return threading.get_ident() == self._thread_id

    def call_soon(self, work: Callable[[], None]) -> None:
        """Runs `work` on the loop's thread; from any thread."""
        self._soon.append(work)
        if not self.on_loop_thread():
            self._wake()

    def call_later(self, seconds: float, work: Callable[[], None]) -> Timer:
        """Runs `work` on the loop's thread in `seconds`; from the loop's thread only."""
        timer = Timer(work)
        heapq.heappush(self._timers, (time.monotonic() + seconds, next(self._timer_order), timer))
        return timer

    def _wake(self) -> None:
        with contextlib.suppress(OSError):  # full (the loop wakes anyway) or closed (the loop has ended)
            self._wake_writer.send(b"\0")

    def _run(self) -> None:
        self._thread_id = threading.get_ident()
        try:
            while not self._stopping:
                for key, events in self._selector.select(self._timeout()):
                    if key.data is _LISTENER:
                        self._accept()
                    elif key.data is _WAKE:
                        self._drain_wake()
                    else:
                        self._ready(key.data, events)
                self._run_due()
        except Exception:
            logger.exception("the %s thread failed", self.name)
            raise
        finally:
            self._close_everything()

    def _timeout(self) -> float | None:
        if self._soon:
            return 0
        while self._timers and self._timers[0][2].cancelled:
            heapq.heappop(self._timers)
        return max(0.0, self._timers[0][0] - time.monotonic()) if self._timers else None

    def _run_due(self) -> None:
        for _ in range(len(self._soon)):
            self._soon.popleft()()
        now = time.monotonic()
        while self._timers and self._timers[0][0] <= now:
            timer = heapq.heappop(self._timers)[2]
            if not timer.cancelled:
                timer.work()

    def _drain_wake(self) -> None:
        try:
            while self._wake_reader.recv(4096):
                pass
        except BlockingIOError:
            pass

    def _accept(self) -> None:
        assert self._listener is not None
        for _ in range(_ACCEPTS_A_ROUND):
            try:
                accepted, _ = self._listener.accept()
            except BlockingIOError:
                return
            except OSError:
                logger.exception("the %s could not accept a connection", self.name)
                return
            accepted.setblocking(False)
            accepted.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            connection = _Connection(accepted)
            self._connections.add(connection)
            self._watch(connection)

    def _ready(self, connection: _Connection, events: int) -> None:
        if events & selectors.EVENT_WRITE:
            self._flush(connection)
        if events & selectors.EVENT_READ and connection.open:
            self._receive(connection)

    def _receive(self, connection: _Connection) -> None:
        try:
            data = connection.socket.recv(_RECEIVE_BYTES)
        except BlockingIOError:
            return
        except OSError:
            self._close(connection)
            return
        if data:
            connection.inbox += data
        else:
            connection.read_ended = True
        self._serve_inbox(connection)

    def _serve_inbox(self, connection: _Connection) -> None:
        """Hands the connection's complete requests to `serve` one at a time, while each is answered at once."""
        while connection.open and not connection.answering and not connection.closing:
            parsed = parse_request(connection.inbox)
            if parsed is None:
                connection.closing = connection.read_ended
                break
            if isinstance(parsed, _End):
                connection.closing = True
                break
            request, keep_alive, length = parsed
            del connection.inbox[:length]
            connection.answering = True
            connection.keep_alive = keep_alive
            self._serving = connection
            try:
                self.serve(request, Reply(self, connection))
            except Exception:
                logger.exception("the %s failed to serve %s %s", self.name, request[0], request[1])
                self._close(connection)
            finally:
                self._serving = None
        self._flush(connection)

    def _answered(self, connection: _Connection, answer: Answer) -> None:
        if not connection.open:
            return
        connection.outbox += response_bytes(*answer, keep_alive=connection.keep_alive)
        connection.answering = False
        connection.closing = not connection.keep_alive

    def _answered_later(self, connection: _Connection, answer: Answer) -> None:
        self._answered(connection, answer)
        if connection.open:
            self._serve_inbox(connection)

    def _flush(self, connection: _Connection) -> None:
        if not connection.open:
            return
        if connection.outbox:
            try:
                sent = connection.socket.send(connection.outbox)
            except BlockingIOError:
                sent = 0
            except OSError:
                self._close(connection)
                return
            del connection.outbox[:sent]
        if connection.closing and not connection.outbox and not connection.answering:
            self._close(connection)
        else:
            self._watch(connection)

    def _watch(self, connection: _Connection) -> None:
        """Reads a connection while it has no request being answered, and writes it while its outbox holds bytes."""
        reading = not (connection.answering or connection.closing or connection.read_ended)
        events = (selectors.EVENT_READ if reading else 0) | (selectors.EVENT_WRITE if connection.outbox else 0)
        if events == connection.events:
            return
        if not connection.events:
            self._selector.register(connection.socket, events, connection)
        elif not events:
            self._selector.unregister(connection.socket)
        else:
            self._selector.modify(connection.socket, events, connection)
        connection.events = events

    def _close(self, connection: _Connection) -> None:
        if not connection.open:
            return
        connection.open = False
        self._connections.discard(connection)
        if connection.events:
            self._selector.unregister(connection.socket)
        with contextlib.suppress(OSError):  # the answers already sent, then the end (as socketserver did)
            connection.socket.shutdown(socket.SHUT_WR)
        connection.socket.close()

    def _close_everything(self) -> None:
        for connection in list(self._connections):
            self._close(connection)
        self._selector.close()
        self._wake_reader.close()
        self._wake_writer.close()


class _End:
    """The end of a connection's requests."""


END = _End()


def parse_request(inbox: bytearray) -> tuple[Request, bool, int] | _End | None:
    """The first request in `inbox`, whether to keep the connection open after it and its length in bytes; END if
    the connection's requests end there; None if it is not complete yet."""
    line, at = _line(inbox, 0)
    if line is None:
        return None
    parts = line.split()
    if len(parts) != 3:
        return END
    method, path, version = (part.decode("latin-1") for part in parts)
    headers: dict[str, str] = {}
    while True:
        line, at = _line(inbox, at)
        if line is None:
            return None
        if line in (b"\r\n", b"\n"):
            break
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip()] = value.strip()
    lowered = {name.lower(): value for name, value in headers.items()}
    try:
        length = int(lowered.get("content-length") or 0)
    except ValueError:
        return END
    if length < 0:
        return END
    if len(inbox) - at < length:
        return None
    connection = lowered.get("connection", "").lower()
    keep_alive = connection != "close" and (version == "HTTP/1.1" or connection == "keep-alive")
    return (method, path, headers, bytes(inbox[at : at + length])), keep_alive, at + length


def _line(inbox: bytearray, start: int) -> tuple[bytes | None, int]:
    """The line at `start` (at most MAX_LINE bytes, as `readline(MAX_LINE)` reads) and where the next begins, or
    None if it is not complete yet."""
    end = inbox.find(b"\n", start, start + MAX_LINE)
    if end >= 0:
        return bytes(inbox[start : end + 1]), end + 1
    if len(inbox) - start >= MAX_LINE:
        return bytes(inbox[start : start + MAX_LINE]), start + MAX_LINE
    return None, start


def response_bytes(status: int, headers: dict[str, str], body: bytes, keep_alive: bool) -> bytes:
    lines = [f"HTTP/1.1 {status} {_reason(status)}"]
    lines += [f"{name}: {value}" for name, value in headers.items() if name.lower() not in _HOP_BY_HOP]
    lines.append(f"Content-Length: {len(body)}")
    if not keep_alive:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
