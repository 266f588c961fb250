"""A model provider's HTTP API on 127.0.0.1: records every request and answers with scripted replies, so a
provider is tested over the real wire (its headers, paths and JSON), never with a stubbed client."""

from __future__ import annotations

import json
import ssl
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from shared.agents.providers.contract import ProviderCall

API_KEY = "sk-test-4f9c2a7e1b8d"


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class Reply:
    body: Any
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    # Set by the test when a reply must not come before the client has given up.
    hold_until: threading.Event | None = None


class ModelServer:
    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.requests: list[RecordedRequest] = []
        self.replies: deque[Reply] = deque()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # connections kept alive, as a provider's are

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                raw = self.rfile.read(length)
                server.requests.append(
                    RecordedRequest(
                        "POST",
                        self.path,
                        {name.lower(): value for name, value in self.headers.items()},
                        json.loads(raw),
                    )
                )
                reply = server.replies.popleft() if server.replies else Reply({"error": "no reply scripted"}, 500)
                if reply.hold_until is not None:
                    reply.hold_until.wait(10)
                content = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(content)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(content)
                except OSError:
                    pass  # the client gave up first (a timeout test)

            def log_message(self, *args: Any) -> None:
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._http.daemon_threads = True
        if tls is not None:
            self._http.socket = tls.wrap_socket(self._http.socket, server_side=True)
        self._scheme = "https" if tls is not None else "http"
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"{self._scheme}://127.0.0.1:{self._http.server_address[1]}"

    def reply(self, body: Any, status: int = 200, headers: dict[str, str] | None = None) -> None:
        self.replies.append(Reply(body, status, headers or {}))

    @property
    def last(self) -> RecordedRequest:
        return self.requests[-1]

    def call(self, path: str = "", api_key: str | None = API_KEY, **options: Any) -> ProviderCall:
        """Where a provider reaches this server: allowed as a tenant allows 127.0.0.1 in `http_allowed_hosts`."""
        return ProviderCall(
            base_url=self.url + path, api_key=api_key, allowed_hosts=frozenset({"127.0.0.1"}), **options
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()


@pytest.fixture
def model_server() -> Iterator[ModelServer]:
    server = ModelServer()
    server.start()
    yield server
    server.stop()
