"""One JSON POST to a model provider over HTTP, behind the SSRF guard, with its failures as the contract's errors.

The host must resolve to public addresses only, unless the tenant allows it (`ProviderCall.allowed_hosts`, as the
http_request node's `http_allowed_hosts`); the connection goes to the address that was checked, with the TLS server
name and Host header of the URL, so a second DNS answer can't swap it. Redirects are not followed. The API key
reaches the provider only in the auth header the provider module passes, over https (plain http only to a host the
tenant allows, a server on its own network); every message raised here has it removed.
httpx is imported with the first request (its import is most of what a provider module costs: docs/agent-providers.md).
"""

from __future__ import annotations

import json
import socket
import ssl
from collections.abc import Callable
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from shared.agents.providers.contract import (
    ContextTooLong,
    ProviderCall,
    ProviderError,
    ProviderFailure,
    ProviderThrottled,
)
from shared.ip_addresses import address_refusal, canonical_host

if TYPE_CHECKING:
    import httpx

MAX_RESPONSE_BYTES = 8_000_000
CONNECT_TIMEOUT_SECONDS = 5.0
_MESSAGE_CHARS = 500
_REDACTED = "[redacted]"

# (HTTP status, the parsed error body or None) → whether the provider says the conversation outgrew the model.
ContextTooLongRule = Callable[[int, Any], bool]


def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return []
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@cache
def _tls_context() -> ssl.SSLContext:
    import httpx

    return httpx.create_ssl_context(trust_env=False)


@lru_cache(maxsize=64)
def _client(host: str) -> httpx.Client:
    """One client per host name: a kept-alive connection, made to a pinned address and verified for one host's
    certificate, is never reused for another host at that address. trust_env=False: no proxy or .netrc
    credentials from the environment reach a tenant's provider."""
    import httpx

    return httpx.Client(verify=_tls_context(), trust_env=False, follow_redirects=False)


def required_key(provider: str, call: ProviderCall) -> str:
    if not call.api_key:
        raise ProviderError(f"{provider} needs an API key (the node's credential)", provider=provider)
    return call.api_key


def redacted(text: str, secret: str | None) -> str:
    return text.replace(secret, _REDACTED) if secret else text


def error_message(body: Any) -> str:
    """The provider's own words from an error body: OpenAI's, Anthropic's, llama.cpp's `error.message`, Ollama's
    `error` string."""
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return str(error["message"])
        if isinstance(error, str):
            return error
        if isinstance(body.get("message"), str):
            return str(body["message"])
    return ""


def post_json(
    provider: str,
    url: str,
    body: dict[str, Any],
    call: ProviderCall,
    *,
    headers: dict[str, str],
    context_too_long: ContextTooLongRule,
    throttled_statuses: frozenset[int] = frozenset({429}),
) -> dict[str, Any]:
    """The provider's JSON answer to `body`, or a ProviderFailure whose message never holds `call.api_key`."""
    try:
        return _post_json(provider, url, body, call, headers, context_too_long, throttled_statuses)
    except ProviderFailure as failure:
        if call.api_key and call.api_key in str(failure):
            raise type(failure)(
                redacted(str(failure), call.api_key), provider=provider, status=failure.status
            ) from None
        raise


def _post_json(
    provider: str,
    url: str,
    body: dict[str, Any],
    call: ProviderCall,
    headers: dict[str, str],
    context_too_long: ContextTooLongRule,
    throttled_statuses: frozenset[int],
) -> dict[str, Any]:
    import httpx

    parts = urlsplit(url)
    host = parts.hostname
    if parts.scheme not in ("http", "https") or not host:
        raise ProviderError(f"{provider}: the base URL is not an http(s) URL", provider=provider)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    _check_header_values(provider, headers)
    addresses = _resolve(host, port)
    refusal = address_refusal(host, addresses, call.allowed_hosts)
    if refusal is not None:
        raise ProviderError(f"{provider}: {refusal.message}", provider=provider)
    if parts.scheme == "http" and call.api_key and canonical_host(host) not in call.allowed_hosts:
        raise ProviderError(
            f"{provider}: a key goes over https, or over http only to a host the tenant allows ({host} is not)",
            provider=provider,
        )
    address = addresses[0]
    pinned = parts._replace(netloc=f"[{address}]:{port}" if ":" in address else f"{address}:{port}").geturl()
    host_header = f"[{host}]" if ":" in host else host
    request_headers = {
        **headers,
        "host": host_header if parts.port is None else f"{host_header}:{port}",
        "content-type": "application/json",
        "accept": "application/json",
    }
    extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
    timeout = httpx.Timeout(call.timeout_seconds, connect=min(CONNECT_TIMEOUT_SECONDS, call.timeout_seconds))
    try:
        with _client(host).stream(
            "POST",
            pinned,
            content=json.dumps(body).encode(),
            headers=request_headers,
            timeout=timeout,
            extensions=extensions,
        ) as response:
            content = _read_limited(provider, response)
    except httpx.TimeoutException:
        raise ProviderError(
            f"{provider}: no answer from {host} within {call.timeout_seconds:g} s", provider=provider
        ) from None
    except httpx.HTTPError as error:
        raise ProviderError(f"{provider}: the request to {host} failed: {error}", provider=provider) from None
    return _answer(provider, response, content, context_too_long, throttled_statuses)


def _check_header_values(provider: str, headers: dict[str, str]) -> None:
    for name, value in headers.items():
        if not value.isprintable() or not value.isascii():
            raise ProviderError(
                f"{provider}: the {name} header (from the credential) is not a valid header value", provider=provider
            )


def _read_limited(provider: str, response: httpx.Response) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            raise ProviderError(f"{provider}: the answer exceeds {MAX_RESPONSE_BYTES} bytes", provider=provider)
        chunks.append(chunk)
    return b"".join(chunks)


def _answer(
    provider: str,
    response: httpx.Response,
    content: bytes,
    context_too_long: ContextTooLongRule,
    throttled_statuses: frozenset[int],
) -> dict[str, Any]:
    status = response.status_code
    try:
        parsed: Any = json.loads(content) if content else None
    except ValueError:
        parsed = None
    if status in throttled_statuses:
        retry_after = response.headers.get("retry-after")
        wait = f"; Retry-After: {retry_after}" if retry_after else ""
        raise ProviderThrottled(
            f"{provider} is throttling requests (HTTP {status}){wait}", provider=provider, status=status
        )
    if status >= 400 and context_too_long(status, parsed):
        raise ContextTooLong(
            f"{provider}: the conversation exceeds the model's context window: {_said(parsed)}",
            provider=provider,
            status=status,
        )
    if status in (401, 403):
        # Not the provider's words: some echo part of the key they refused.
        raise ProviderError(f"{provider} refused the credential (HTTP {status})", provider=provider, status=status)
    if status >= 300:
        said = _said(parsed) or content[:_MESSAGE_CHARS].decode("utf-8", errors="replace")
        raise ProviderError(f"{provider} answered HTTP {status}: {said}", provider=provider, status=status)
    if not isinstance(parsed, dict):
        raise ProviderError(f"{provider} answered HTTP {status} without a JSON object", provider=provider)
    return parsed


def _said(parsed: Any) -> str:
    return error_message(parsed)[:_MESSAGE_CHARS]
