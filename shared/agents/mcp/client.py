"""The client side: the tools of a tenant's registered MCP servers, discovered and called with the official MCP
client over Streamable HTTP, behind the address guard and with the server's credential applied by reference.

`server_tools` and `call_tool` are what the agent loop calls: synchronous, keyed by the tenant's id, and limited to
the tools the server's last refresh cached, whatever a model asks for. The SDK is imported when a server is reached
(it takes about a second to import), never when this module is.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import anyio

from shared.agents.mcp.address_guard import (
    ServerAddressBlocked,
    ServerHostUnresolved,
    check_connection,
    checked_address,
)
from shared.agents.tools.canonical import CanonicalTool
from shared.credentials.secrets import credential_headers
from shared.store.mcp_servers import McpServerItem, McpServers
from shared.store.tenant_scoped import TenantContext
from shared.tenancy.tenant_settings import tenant_allowed_hosts

if TYPE_CHECKING:
    from mcp import Client
    from mcp_types import CallToolResult

# A connection, its handshake and one request: well within API Gateway's 29 s.
SERVER_TIMEOUT_SECONDS = 20.0
# What one refresh keeps of a server's tools (they share one DynamoDB item with the server's record).
MAX_CACHED_TOOLS = 200
MAX_CACHED_TOOLS_BYTES = 256_000


class McpServerUnreachable(Exception):
    """The server could not be reached or answered outside the protocol; the message says what happened."""


@dataclass(frozen=True)
class ServerConnection:
    """Where a registered server is and what a request to it carries: the credential's headers, opened here."""

    url: str
    headers: dict[str, str]
    allowed_hosts: frozenset[str]


def open_connection(tenant: TenantContext, server: McpServerItem) -> ServerConnection:
    """Checks the server's addresses now and opens its credential; raises ServerAddressBlocked or
    McpServerUnreachable (a credential that no longer exists)."""
    allowed_hosts = tenant_allowed_hosts(tenant.tenant_id)
    try:
        check_connection(str(server.url), allowed_hosts)
    except ServerHostUnresolved as error:
        raise McpServerUnreachable(str(error)) from error
    headers: dict[str, str] = {}
    if server.credential:
        found = credential_headers(tenant, str(server.credential))
        if found is None:
            raise McpServerUnreachable(f"the tenant has no credential named {server.credential!r} any more")
        headers = found
    return ServerConnection(str(server.url), headers, allowed_hosts)


async def _list_tools(connection: ServerConnection) -> list[dict[str, Any]]:
    tools: list[dict[str, Any]] = []
    async with _connected(connection) as client:
        cursor: str | None = None
        while len(tools) < MAX_CACHED_TOOLS:
            page = await client.list_tools(cursor=cursor)
            tools += [tool.model_dump(mode="json", by_alias=True, exclude_none=True) for tool in page.tools]
            cursor = page.next_cursor
            if not cursor:
                break
    return tools[:MAX_CACHED_TOOLS]


async def _call_tool(connection: ServerConnection, name: str, arguments: dict[str, Any]) -> CallToolResult:
    async with _connected(connection) as client:
        return await client.call_tool(name, arguments)


@asynccontextmanager
async def _connected(connection: ServerConnection) -> AsyncIterator[Client]:
    """The official client over Streamable HTTP, with the initialize handshake every MCP revision answers."""
    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    transport = _pinned_transport(connection.allowed_hosts)
    async with (
        httpx2.AsyncClient(headers=connection.headers, timeout=SERVER_TIMEOUT_SECONDS, transport=transport) as http,
        Client(streamable_http_client(connection.url, http_client=http), mode="legacy") as client,
    ):
        yield client


def _pinned_transport(allowed_hosts: frozenset[str]) -> Any:
    """An HTTP transport whose every connection (a redirect's too) goes to an address the guard checked as it was
    made, so a second DNS answer can't swap it; TLS still verifies the URL's host name. No proxy from the
    environment."""
    import ssl

    import httpcore2
    import httpx2

    class GuardedBackend(httpcore2.AsyncNetworkBackend):
        def __init__(self) -> None:
            self._backend = httpcore2.AnyIOBackend()

        async def connect_tcp(
            self,
            host: str,
            port: int,
            timeout: float | None = None,
            local_address: str | None = None,
            socket_options: Any = None,
        ) -> httpcore2.AsyncNetworkStream:
            try:
                address = await anyio.to_thread.run_sync(checked_address, host, port, allowed_hosts)
            except (ServerAddressBlocked, ServerHostUnresolved) as error:
                raise httpcore2.ConnectError(str(error)) from error
            return await self._backend.connect_tcp(
                address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
            )

        async def sleep(self, seconds: float) -> None:
            await self._backend.sleep(seconds)

    transport = httpx2.AsyncHTTPTransport(trust_env=False)
    # httpx2 builds its connection pool without a way to name the network backend: this one is the default pool
    # with the guarded backend.
    transport._pool = httpcore2.AsyncConnectionPool(
        ssl_context=ssl.create_default_context(), network_backend=GuardedBackend()
    )
    return transport


def _run(call: Any, *args: Any) -> Any:
    """Runs one exchange with a server within the timeout; any failure of the exchange is McpServerUnreachable."""

    async def bounded() -> Any:
        with anyio.fail_after(SERVER_TIMEOUT_SECONDS):
            return await call(*args)

    try:
        # On a thread of its own: the caller's thread keeps its event loop (Mangum's handlers need one on Lambda's
        # main thread), and a caller already inside a running loop can call too.
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(anyio.run, bounded).result()
    except TimeoutError as error:
        raise McpServerUnreachable(f"no answer within {SERVER_TIMEOUT_SECONDS:g} s") from error
    except Exception as error:
        raise McpServerUnreachable(_failure(error)) from error


def _failure(error: BaseException) -> str:
    """The innermost cause the SDK's task groups wrapped, as one line."""
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    return f"{type(error).__name__}: {error}"[:500]


def discover_tools(tenant: TenantContext, server: McpServerItem) -> list[CanonicalTool]:
    """The server's tools as it lists them now; tools that are no valid MCP tool description are left out, and the
    list stops where the cache's size would be exceeded."""
    listed: list[dict[str, Any]] = _run(_list_tools, open_connection(tenant, server))
    tools: list[CanonicalTool] = []
    size = 0
    for document in listed:
        try:
            tool = CanonicalTool.model_validate({key: document[key] for key in document if key != "_meta"})
        except ValueError:
            continue
        size += len(json.dumps(tool.to_document()))
        if size > MAX_CACHED_TOOLS_BYTES:
            break
        tools.append(tool)
    return tools


def _cached(server: McpServerItem) -> list[CanonicalTool]:
    return [CanonicalTool.model_validate(document) for document in server.tools or []]


def server_tools(tenant_id: str, server_id: str) -> list[CanonicalTool]:
    """The tools the tenant's server had at its last refresh (none before one); a server of another tenant, or
    none, has no tools."""
    server = McpServers(TenantContext(tenant_id)).get(server_id)
    return [] if server is None else _cached(server)


def call_tool(tenant_id: str, server_id: str, tool_name: str, arguments: dict[str, Any]) -> tuple[Any, bool]:
    """Calls a cached tool of the tenant's server: (its structured result, or its text, and whether it is an error).
    What keeps the call from being made (an unknown server or tool, a blocked address, a server that does not
    answer) is an error result too, saying why, so the caller passes it back to the model as data."""
    tenant = TenantContext(tenant_id)
    server = McpServers(tenant).get(server_id)
    if server is None:
        return f"No MCP server {server_id!r}", True
    if tool_name not in {tool.name for tool in _cached(server)}:
        return f"MCP server {server_id!r} has no tool {tool_name!r} (as of its last refresh)", True
    try:
        result: CallToolResult = _run(_call_tool, open_connection(tenant, server), tool_name, arguments)
    except (ServerAddressBlocked, McpServerUnreachable) as error:
        return f"MCP server {server_id!r}: {error}", True
    return _result_value(result), result.is_error


def _result_value(result: CallToolResult) -> Any:
    if result.structured_content is not None:
        return result.structured_content
    texts = [block.text for block in result.content if block.type == "text"]
    if len(texts) == len(result.content):
        return "\n".join(texts)
    return [block.model_dump(mode="json", by_alias=True, exclude_none=True) for block in result.content]
