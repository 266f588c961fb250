"""Invocations handed by the emulation to the API workers (devserver/function_workers.py): the function's answer
comes back as it gave it, and an invocation whose worker dies before answering is run by another, not lost."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from devserver.function_workers import WorkerInvocations, _read_frame, bind_invocations, serve_invocations
from devserver.lambda_runtime import _body


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    bound = bind_invocations("127.0.0.1")
    yield bound
    bound.close()


def echo(function_name: str, payload: bytes) -> dict[str, Any]:
    event = json.loads(payload)
    answer = json.dumps({"function": function_name, "event": event}).encode()
    if event.get("fail"):
        return {"StatusCode": 200, "FunctionError": "Unhandled", "Payload": _body(b'{"errorType": "Boom"}')}
    return {"StatusCode": 200, "Payload": _body(answer)}


def test_a_function_run_in_a_worker_answers_its_result_and_its_function_error(listener: socket.socket) -> None:
    serve_invocations(listener, echo)
    invocations = WorkerInvocations(listener.getsockname())

    result, error = invocations.invoke("nexus-forge-local-node-http", b'{"order": 1}')
    failed, failure = invocations.invoke("nexus-forge-local-node-http", b'{"fail": true}')

    assert (json.loads(result), error) == ({"function": "nexus-forge-local-node-http", "event": {"order": 1}}, None)
    assert (json.loads(failed), failure) == ({"errorType": "Boom"}, "Unhandled")


def test_an_invocation_whose_worker_dies_before_answering_is_run_by_another(listener: socket.socket) -> None:
    invocations = WorkerInvocations(listener.getsockname())
    answered: list[tuple[bytes, str | None]] = []
    caller = threading.Thread(target=lambda: answered.append(invocations.invoke("fn", b'{"order": 2}')))
    caller.start()

    # The first worker to take it receives the invocation and dies (its connection closes) without answering.
    dying, _ = listener.accept()
    with dying, dying.makefile("rb") as stream:
        received = _read_frame(stream)
    serve_invocations(listener, echo)
    caller.join(timeout=30)

    assert received is not None and json.loads(received[1]) == {"order": 2}
    assert [(json.loads(result), error) for result, error in answered] == [
        ({"function": "fn", "event": {"order": 2}}, None)
    ]
