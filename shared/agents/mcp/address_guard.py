"""The SSRF guard of an MCP server's URL: the rules of the http_request node (shared/ip_addresses.py).

A registered URL must be http(s) with a host that is not a metadata host nor a non-public address; at every
connection the host's addresses are resolved and checked again, and the connection goes to the address that was
checked (shared/agents/mcp/client.py), as the http_request node connects. A host the
tenant lists in its `http_allowed_hosts` setting may be private or loopback (so `forge dev` reaches a server on
127.0.0.1 once the tenant allows it); link-local and metadata addresses never are.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from shared.ip_addresses import RefusalKind, address_refusal, url_refusal

Resolver = Callable[[str, int], Iterable[str]]


class ServerAddressBlocked(Exception):
    """The URL, or an address its host resolves to, is one the tenant may not reach; the message says why."""


class ServerHostUnresolved(Exception):
    """The URL's host has no address now."""


def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise ServerHostUnresolved(f"cannot resolve {host}: {error}") from error
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def url_error(url: str, allowed_hosts: frozenset[str]) -> str | None:
    """Why the URL can't be registered, or None; an address written in the URL is judged without resolving."""
    refusal = url_refusal(url, allowed_hosts)
    return None if refusal is None else refusal.message


def check_connection(url: str, allowed_hosts: frozenset[str], resolve: Resolver = _resolve) -> None:
    """Raises ServerAddressBlocked unless the URL may be registered and its host resolves to addresses that may be
    reached now (ServerHostUnresolved when it resolves to none)."""
    reason = url_error(url, allowed_hosts)
    if reason is not None:
        raise ServerAddressBlocked(reason)
    parts = urlsplit(url)
    assert parts.hostname is not None
    checked_address(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80), allowed_hosts, resolve)


def checked_address(host: str, port: int, allowed_hosts: frozenset[str], resolve: Resolver = _resolve) -> str:
    """The address to connect to, every address of the host checked; raises ServerAddressBlocked or
    ServerHostUnresolved."""
    addresses = list(resolve(host, port))
    refusal = address_refusal(host, addresses, allowed_hosts)
    if refusal is None:
        return addresses[0]
    if refusal.kind is RefusalKind.NO_ADDRESS:
        raise ServerHostUnresolved(refusal.message)
    raise ServerAddressBlocked(refusal.message)
