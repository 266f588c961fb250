"""Lambda invocations the emulation hands to `forge dev`'s API worker processes.

The emulation process serves the AWS APIs (moto, the state machines' executor); the handlers the executor and the
status watcher invoke ran there too, on the same interpreter lock, and execution_events alone took over a third of
its time. The functions named in `FUNCTIONS_IN_WORKERS` now run in the API workers, which import the same handlers
and reach the same emulated services (DynamoDB and Step Functions over the data plane). The emulation connects to a
loopback socket every worker accepts on, so each connection belongs to one worker, and sends one invocation at a
time on it: a frame with the function's name and its payload, answered by a frame with the function error (if any)
and the result, as Lambda's Invoke answers.

A worker that dies while it holds an invocation (killed, or crashed) closes its connections: the invocation is sent
again on another connection, as the invoke of a crashed execution environment is retried (at least once, never
lost). Functions that call models or the SageMaker emulation (node_agent, ml_gate) stay in the emulation process,
where the local model hosting lives.
"""

from __future__ import annotations

import json
import logging
import queue
import socket
import struct
import threading
from collections.abc import Callable
from typing import Any, BinaryIO

logger = logging.getLogger("nexus_forge.local")

# execution_usage: the executions table stream's batches (usage counts, quality control of the ends) once per 100
# records, off the emulation's interpreter lock like the status path.
FUNCTIONS_IN_WORKERS = frozenset({"execution_events", "execution_usage", "node_http", "smoke_echo"})
# An invocation is sent this many times at most when the worker holding it dies.
ATTEMPTS = 3
_LENGTHS = struct.Struct(">II")


class WorkerGone(ConnectionError):
    """The worker holding an invocation closed its connection before answering."""


def bind_invocations(host: str) -> socket.socket:
    """The listening socket the workers accept invocations on (bound and listening before they are forked)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind((host, 0))
    listener.listen(128)
    return listener


def _write_frame(connection: socket.socket, header: dict[str, str | None], payload: bytes) -> None:
    encoded = json.dumps(header).encode()
    connection.sendall(_LENGTHS.pack(len(encoded), len(payload)) + encoded + payload)


def _read_frame(stream: BinaryIO) -> tuple[dict[str, str | None], bytes] | None:
    """The next frame, or None at end of file (the other side closed the connection)."""
    lengths = stream.read(_LENGTHS.size)
    if len(lengths) < _LENGTHS.size:
        return None
    header_length, payload_length = _LENGTHS.unpack(lengths)
    header = stream.read(header_length)
    payload = stream.read(payload_length)
    if len(header) < header_length or len(payload) < payload_length:
        return None
    return json.loads(header), payload


class WorkerInvocations:
    """The emulation's side: invokes functions in the workers over connections kept open, one invocation each."""

    def __init__(self, address: tuple[str, int]) -> None:
        self.address = address
        self._idle: queue.SimpleQueue[tuple[socket.socket, BinaryIO]] = queue.SimpleQueue()

    def invoke(self, physical_name: str, payload: bytes) -> tuple[bytes, str | None]:
        """(the result, the function error or None), as the function answered in a worker."""
        for attempt in range(1, ATTEMPTS + 1):
            connection, stream = self._take()
            try:
                _write_frame(connection, {"function": physical_name}, payload)
                answer = _read_frame(stream)
                if answer is None:
                    raise WorkerGone(physical_name)
            except OSError:
                connection.close()
                if attempt == ATTEMPTS:
                    raise
                logger.warning("the API worker invoking %s is gone; invoking it again", physical_name)
                continue
            self._idle.put((connection, stream))
            header, result = answer
            return result, header.get("function_error")
        raise WorkerGone(physical_name)

    def _take(self) -> tuple[socket.socket, BinaryIO]:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            connection = socket.create_connection(self.address)
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return connection, connection.makefile("rb")


# A runtime's `invoke` (devserver/lambda_runtime.py): (function name, payload) → Lambda's Invoke answer.
Invoke = Callable[[str, bytes], dict[str, Any]]


def serve_invocations(listener: socket.socket, invoke: Invoke) -> None:
    """The worker's side: accepts the emulation's connections and runs each invocation by `invoke` (the worker's
    LocalLambdaRuntime), in the background (a thread a connection)."""

    def accept_forever() -> None:
        while True:
            connection, _ = listener.accept()
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=_serve, args=(connection, invoke), name="invocations", daemon=True).start()

    threading.Thread(target=accept_forever, name="invocations-accept", daemon=True).start()


def _serve(connection: socket.socket, invoke: Invoke) -> None:
    with connection, connection.makefile("rb") as stream:
        while (request := _read_frame(stream)) is not None:
            header, payload = request
            answered = invoke(str(header["function"]), payload)
            _write_frame(connection, {"function_error": answered.get("FunctionError")}, answered["Payload"].read())
