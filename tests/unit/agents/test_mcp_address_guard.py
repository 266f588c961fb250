"""The SSRF guard of MCP server URLs: what registration refuses without resolving, and what a connection refuses
after resolving the host, as the http_request node does."""

from __future__ import annotations

import re

import pytest

from shared.agents.mcp.address_guard import ServerAddressBlocked, ServerHostUnresolved, check_connection, url_error

NOTHING_ALLOWED: frozenset[str] = frozenset()


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ftp://tools.example/mcp", "http(s)"),
        ("http://user:pass@tools.example/mcp", "credential"),
        ("http://[::1/mcp", "not a URL"),
        ("http://tools.example:99999/mcp", "not a URL"),
        ("http://tools\x92example/mcp", "not a host name"),
        ("http://metadata.google.internal/", "metadata"),
        ("http://169.254.169.254/latest", "metadata"),
        ("http://10.1.2.3/mcp", "non-public"),
        ("http://127.0.0.1:8000/mcp", "non-public"),
        ("http://[::ffff:192.168.0.1]/mcp", "non-public"),
    ],
)
def test_registration_refuses_what_can_never_or_may_not_be_reached(url: str, why: str) -> None:
    reason = url_error(url, NOTHING_ALLOWED)

    assert reason is not None and why in reason


def test_a_public_host_name_is_registered_without_resolving_it() -> None:
    assert url_error("https://tools.example/mcp", NOTHING_ALLOWED) is None


def test_a_loopback_address_the_tenant_allows_is_registered_but_metadata_never() -> None:
    assert url_error("http://127.0.0.1:8000/mcp", frozenset({"127.0.0.1"})) is None
    assert url_error("http://169.254.169.254/", frozenset({"169.254.169.254"})) is not None


def test_a_connection_checks_every_address_the_host_resolves_to() -> None:
    def resolve(host: str, port: int) -> list[str]:
        return ["93.184.215.14", "10.0.0.7"]

    with pytest.raises(ServerAddressBlocked, match=re.escape("non-public address (10.0.0.7)")):
        check_connection("https://tools.example/mcp", NOTHING_ALLOWED, resolve)
    check_connection("https://tools.example/mcp", frozenset({"tools.example"}), resolve)


def test_a_host_resolving_to_metadata_is_refused_even_when_allowed() -> None:
    with pytest.raises(ServerAddressBlocked, match="metadata"):
        check_connection("http://tools.example/", frozenset({"tools.example"}), lambda host, port: ["169.254.169.254"])


def test_a_host_without_an_address_is_unresolved() -> None:
    with pytest.raises(ServerHostUnresolved):
        check_connection("http://tools.example/", NOTHING_ALLOWED, lambda host, port: [])
