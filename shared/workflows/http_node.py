"""The request an `http_request` node makes: timeouts, a response size limit and a guard against SSRF.

Every address a host resolves to must be public (no loopback, private, multicast or reserved ranges, nor an IPv6
address carrying one: shared/ip_addresses.py) unless the tenant allows that host; link-local and metadata addresses
are refused even then. The connection goes to the address that was checked, so a second DNS answer can't swap it.
Redirects are returned, not followed. The credential's values are taken out of the response: an API that echoes its
request's headers would otherwise put the secret into the execution's history (readable by every member) or, for an
agent's tool, hand it to the model.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlencode, urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field

from shared.credentials.redaction import redact, secret_values
from shared.header_rules import header_name_error, header_value_error
from shared.ip_addresses import RefusalKind, address_refusal, is_metadata_host
from shared.json_numbers import loads_finite

MAX_RESPONSE_BYTES = 250_000
_READ_CHUNK = 65_536


class HttpNodeError(Exception):
    """Lambda reports the class name as the error, so Retry and Catch rules can name these."""


class HttpRequestBlocked(HttpNodeError):
    pass


class HttpRequestInvalid(HttpNodeError):
    """The request the node's parameters evaluated to can't be sent as is (a header with a line break, say)."""


class HttpRequestTimeout(HttpNodeError):
    pass


class HttpResponseTooLarge(HttpNodeError):
    pass


class HttpStatusError(HttpNodeError):
    pass


class HttpConnectionError(HttpNodeError):
    pass


class CredentialNotFound(HttpNodeError):
    pass


class HttpRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"] = "GET"
    url: str
    headers: dict[str, str] = Field(default_factory=dict)
    query: dict[str, str] = Field(default_factory=dict)
    body: Any = None
    credential: str | None = None
    timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    max_response_bytes: int = Field(default=MAX_RESPONSE_BYTES, ge=1, le=MAX_RESPONSE_BYTES)
    response_format: Literal["auto", "json", "text"] = "auto"


class HttpNodeEvent(BaseModel):
    model_config = ConfigDict(extra="ignore")

    tenant_id: str
    workflow_id: str
    node_id: str
    execution_id: str | None = None
    request: HttpRequest


# A credential's name → the headers it sets, or None when the tenant has no such credential.
CredentialResolver = Callable[[str], Mapping[str, str] | None]


def _no_credentials(name: str) -> None:
    return None


@dataclass(frozen=True)
class TenantHttpPolicy:
    """What one tenant allows: hosts exempt from the address check, and its own credentials by name."""

    allowed_hosts: frozenset[str] = frozenset()
    credentials: CredentialResolver = _no_credentials


Resolver = Callable[[str, int], Iterable[str]]


def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise HttpConnectionError(f"cannot resolve {host}: {error}") from error
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def checked_address(host: str, port: int, policy: TenantHttpPolicy, resolve: Resolver = _resolve) -> str:
    """The address to connect to; refuses a host any of whose addresses is not public, unless the tenant allows it.
    Link-local and metadata hosts and addresses are refused whatever the tenant allows."""
    addresses = [] if is_metadata_host(host) else list(resolve(host, port))
    refusal = address_refusal(host, addresses, policy.allowed_hosts)
    if refusal is None:
        return addresses[0]
    if refusal.kind is RefusalKind.NO_ADDRESS:
        raise HttpConnectionError(refusal.message)
    raise HttpRequestBlocked(refusal.message)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)  # type: ignore[attr-defined]


def make_request(event: HttpNodeEvent, policy: TenantHttpPolicy, resolve: Resolver = _resolve) -> dict[str, Any]:
    """Performs the request; returns {status, headers, body} or raises an HttpNodeError subclass."""
    request = event.request
    parts = urlsplit(request.url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise HttpRequestBlocked(f"not an http(s) URL: {request.url!r}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = checked_address(parts.hostname, port, policy, resolve)
    secrets: list[str] = []
    headers = _with_credential({"user-agent": "nexus-forge-http-node/1", **request.headers}, request, policy, secrets)
    _check_headers(headers)
    body: bytes | None = None
    if request.body is not None:
        body = request.body.encode() if isinstance(request.body, str) else json.dumps(request.body).encode()
        if not isinstance(request.body, str):
            headers.setdefault("content-type", "application/json")
    query = parts.query + ("&" if parts.query and request.query else "") + urlencode(request.query)
    target = urlunsplit(("", "", parts.path or "/", query, ""))
    connection_type = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    connection = connection_type(parts.hostname, port, address, request.timeout_seconds)
    deadline = time.monotonic() + request.timeout_seconds
    try:
        connection.request(request.method, target, body=body, headers=headers)
        response = connection.getresponse()
        content = _read_limited(response, request.max_response_bytes, deadline)
    except TimeoutError as error:
        raise HttpRequestTimeout(f"no answer from {parts.hostname} within {request.timeout_seconds} s") from error
    except (OSError, http.client.HTTPException) as error:
        raise HttpConnectionError(f"request to {parts.hostname} failed: {error}") from error
    finally:
        connection.close()
    result: dict[str, Any] = redact(
        {
            "status": response.status,
            "headers": {name.lower(): value for name, value in response.getheaders()},
            "body": _decode(content, response.getheader("content-type", ""), request.response_format),
        },
        secrets,
    )
    if response.status >= 400:
        raise HttpStatusError(json.dumps({"status": response.status, "body": result["body"]})[:32_000])
    return result


def _with_credential(
    headers: dict[str, str], request: HttpRequest, policy: TenantHttpPolicy, secrets: list[str]
) -> dict[str, str]:
    """The request's headers with the referenced credential's applied; a credential header replaces a request
    header of the same name in any case, so the request is never sent with both. The credential's values are added
    to `secrets`, to be taken out of the response."""
    if request.credential is None:
        return headers
    found = policy.credentials(request.credential)
    if found is None:
        raise CredentialNotFound(f"the tenant has no credential named {request.credential!r}")
    secrets += secret_values(dict(found))
    replaced = {name.lower() for name in found}
    return {**{name: value for name, value in headers.items() if name.lower() not in replaced}, **found}


def _check_headers(headers: dict[str, str]) -> None:
    for name, value in headers.items():
        reason = header_name_error(name) or header_value_error(name, value)
        if reason is not None:
            raise HttpRequestInvalid(reason)


def _read_limited(response: http.client.HTTPResponse, limit: int, deadline: float) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := response.read(_READ_CHUNK):
        size += len(chunk)
        if size > limit:
            raise HttpResponseTooLarge(f"the response exceeds {limit} bytes")
        if time.monotonic() > deadline:
            raise TimeoutError
        chunks.append(chunk)
    return b"".join(chunks)


def _decode(content: bytes, content_type: str, response_format: str) -> Any:
    text = content.decode("utf-8", errors="replace")
    wants_json = response_format == "json" or (response_format == "auto" and "json" in content_type.lower())
    if wants_json and text:
        try:
            return loads_finite(text)
        except ValueError:
            if response_format == "json":
                raise HttpConnectionError("the response is not JSON") from None
    return text


def load_tenant_http_policy(tenant_id: str) -> TenantHttpPolicy:
    """The tenant's `http_allowed_hosts` setting, and its credentials: a name resolves in this tenant's partition
    only, and is decrypted only when a request names it."""
    from shared.credentials.secrets import credential_headers
    from shared.store.tenant_scoped import TenantContext
    from shared.tenancy.tenant_settings import tenant_allowed_hosts

    tenant = TenantContext(tenant_id)
    return TenantHttpPolicy(
        allowed_hosts=tenant_allowed_hosts(tenant_id),
        credentials=lambda name: credential_headers(tenant, name),
    )
