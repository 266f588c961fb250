"""The HTTP node refuses non-public addresses unless the tenant allows the host, and bounds time and size."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from shared.ip_addresses import is_public_address
from shared.workflows.http_node import (
    CredentialNotFound,
    HttpConnectionError,
    HttpNodeEvent,
    HttpRequestBlocked,
    HttpRequestTimeout,
    HttpResponseTooLarge,
    HttpStatusError,
    TenantHttpPolicy,
    checked_address,
    make_request,
)

CREDENTIALS = {"api": {"x-api-key": "s3cret"}}
ALLOW_LOOPBACK = TenantHttpPolicy(allowed_hosts=frozenset({"127.0.0.1"}), credentials=CREDENTIALS.get)
# The x-api-key each request arrived with, newest last (the response echoes it, and the node redacts the echo).
RECEIVED_KEYS: list[str | None] = []


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path.startswith("/slow"):
            time.sleep(1.5)
        status = 503 if self.path.startswith("/down") else 200
        size = 5000 if self.path.startswith("/big") else 0
        RECEIVED_KEYS.append(self.headers.get("x-api-key"))
        payload = json.dumps({"path": self.path, "key": self.headers.get("x-api-key"), "pad": "x" * size}).encode()
        if self.path.startswith("/nan"):
            payload = b'{"ratio": NaN, "big": 1e400}'
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
    resolve_to_private = lambda host, port: ["93.184.216.34", "10.0.0.5"]  # noqa: E731
    with pytest.raises(HttpRequestBlocked):
        checked_address("rebind.example", 80, TenantHttpPolicy(), resolve_to_private)
    allowed = TenantHttpPolicy(allowed_hosts=frozenset({"rebind.example"}))
    assert checked_address("rebind.example", 80, allowed, resolve_to_private) == "93.184.216.34"


def test_loopback_is_refused_by_default(server: str) -> None:
    with pytest.raises(HttpRequestBlocked):
        make_request(event(server + "/"), TenantHttpPolicy())


def test_an_allowed_host_is_called_with_the_referenced_credential(server: str) -> None:
    result = make_request(event(server + "/hello", query={"q": "1"}, credential="api"), ALLOW_LOOPBACK)
    assert result["status"] == 200
    assert result["body"]["path"] == "/hello?q=1" and RECEIVED_KEYS[-1] == "s3cret"


def test_a_credential_header_replaces_a_request_header_of_the_same_name(server: str) -> None:
    make_request(event(server + "/", headers={"X-Api-Key": "from-the-node"}, credential="api"), ALLOW_LOOPBACK)
    assert RECEIVED_KEYS[-1] == "s3cret"


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


@pytest.mark.parametrize(
    "address",
    [
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
        "2002:a9fe:a9fe::",  # 6to4 of 169.254.169.254
        "2002:a00:1::",  # 6to4 of 10.0.0.1
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "64:ff9b:1::808:808",  # local-use NAT64
        "::ffff:169.254.169.254",  # IPv4-mapped
        "::127.0.0.1",  # IPv4-compatible
        "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo whose client is 127.0.0.1
        "100.100.100.200",  # Alibaba Cloud metadata
    ],
)
def test_ipv6_transition_addresses_are_judged_by_the_ipv4_address_they_carry(address: str) -> None:
    assert not is_public_address(address)


@pytest.mark.parametrize("address", ["2002:808:808::1", "64:ff9b::808:808", "::ffff:8.8.8.8", "2606:4700::1111"])
def test_transition_addresses_carrying_a_public_ipv4_address_are_public(address: str) -> None:
    assert is_public_address(address)


@pytest.mark.parametrize(
    ("host", "addresses"),
    [
        ("metadata.google.internal", ["93.184.216.34"]),
        ("rebind.example", ["169.254.169.254"]),
        ("rebind.example", ["2002:a9fe:a9fe::"]),
        ("rebind.example", ["fd00:ec2::254"]),
        ("169.254.169.254", ["169.254.169.254"]),
    ],
)
def test_an_allowed_host_never_opens_link_local_or_metadata_addresses(host: str, addresses: list[str]) -> None:
    policy = TenantHttpPolicy(allowed_hosts=frozenset({host}))
    with pytest.raises(HttpRequestBlocked):
        checked_address(host, 80, policy, lambda name, port: addresses)


def test_a_json_response_with_numbers_json_does_not_have_is_text_or_an_error_never_null(server: str) -> None:
    assert make_request(event(server + "/nan"), ALLOW_LOOPBACK)["body"] == '{"ratio": NaN, "big": 1e400}'
    with pytest.raises(HttpConnectionError):
        make_request(event(server + "/nan", response_format="json"), ALLOW_LOOPBACK)


def test_a_response_echoing_the_credential_gets_it_back_redacted(server: str) -> None:
    # The output lands in the execution's history (every member reads it) and, for an agent's tool, in the model.
    result = make_request(event(server + "/echo", credential="api"), ALLOW_LOOPBACK)
    assert result["body"]["key"] == "[redacted]"
    assert "s3cret" not in json.dumps(result)
