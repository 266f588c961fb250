"""The HTTP node refuses non-public addresses unless the tenant allows the host, and bounds time and size."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from shared.workflows.http_node import (
    CredentialNotFound,
    HttpNodeEvent,
    HttpRequestBlocked,
    HttpRequestTimeout,
    HttpResponseTooLarge,
    HttpStatusError,
    TenantHttpPolicy,
    checked_address,
    is_public_address,
    make_request,
)

CREDENTIALS = {"api": {"x-api-key": "s3cret"}}
ALLOW_LOOPBACK = TenantHttpPolicy(allowed_hosts=frozenset({"127.0.0.1"}), credentials=CREDENTIALS.get)


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path.startswith("/slow"):
            time.sleep(1.5)
        status = 503 if self.path.startswith("/down") else 200
        size = 5000 if self.path.startswith("/big") else 0
        payload = json.dumps({"path": self.path, "key": self.headers.get("x-api-key"), "pad": "x" * size}).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def event(url: str, **request: Any) -> HttpNodeEvent:
    return HttpNodeEvent.model_validate(
        {"tenant_id": "tenant0001", "workflow_id": "wf", "node_id": "call", "request": {"url": url, **request}}
    )


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "::1", "fd00:ec2::254", "0.0.0.0"],
)
def test_loopback_private_link_local_and_metadata_addresses_are_not_public(address: str) -> None:
    assert not is_public_address(address)


def test_an_ipv4_mapped_private_address_is_not_public_but_a_public_one_is() -> None:
    assert not is_public_address("::ffff:10.0.0.1")
    assert is_public_address("93.184.216.34")


def test_a_host_resolving_to_any_private_address_is_blocked_unless_allowed() -> None:
    resolve_to_metadata = lambda host, port: ["93.184.216.34", "169.254.169.254"]  # noqa: E731
    with pytest.raises(HttpRequestBlocked):
        checked_address("rebind.example", 80, TenantHttpPolicy(), resolve_to_metadata)
    allowed = TenantHttpPolicy(allowed_hosts=frozenset({"rebind.example"}))
    assert checked_address("rebind.example", 80, allowed, resolve_to_metadata) == "93.184.216.34"


def test_loopback_is_refused_by_default(server: str) -> None:
    with pytest.raises(HttpRequestBlocked):
        make_request(event(server + "/"), TenantHttpPolicy())


def test_an_allowed_host_is_called_with_the_referenced_credential(server: str) -> None:
    result = make_request(event(server + "/hello", query={"q": "1"}, credential="api"), ALLOW_LOOPBACK)
    assert result["status"] == 200
    assert result["body"]["path"] == "/hello?q=1" and result["body"]["key"] == "s3cret"


def test_a_credential_header_replaces_a_request_header_of_the_same_name(server: str) -> None:
    result = make_request(event(server + "/", headers={"X-Api-Key": "from-the-node"}, credential="api"), ALLOW_LOOPBACK)
    assert result["body"]["key"] == "s3cret"


def test_an_unknown_credential_fails_the_node(server: str) -> None:
    with pytest.raises(CredentialNotFound):
        make_request(event(server + "/", credential="missing"), ALLOW_LOOPBACK)


def test_time_size_and_status_are_bounded(server: str) -> None:
    with pytest.raises(HttpRequestTimeout):
        make_request(event(server + "/slow", timeout_seconds=0.3), ALLOW_LOOPBACK)
    with pytest.raises(HttpResponseTooLarge):
        make_request(event(server + "/big", max_response_bytes=1000), ALLOW_LOOPBACK)
    with pytest.raises(HttpStatusError):
        make_request(event(server + "/down"), ALLOW_LOOPBACK)
