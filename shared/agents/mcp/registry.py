"""The MCP servers a tenant registers (`/v1/mcp-servers`): a URL the address guard lets through, a tenant credential
named by reference (its secret never leaves the credential), and the tools a refresh discovers, cached with their
schemas for agents (shared/agents/mcp/client.py)."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field

from shared.agents.mcp.address_guard import ServerAddressBlocked, url_error
from shared.agents.mcp.client import McpServerUnreachable, discover_tools
from shared.problems import InvalidParam, NotFound, ProblemError, ValidationFailed
from shared.store.credentials import Credentials
from shared.store.mcp_servers import McpServerItem, McpServers
from shared.store.tenant_scoped import Page, TenantContext
from shared.tenancy.tenant_settings import tenant_allowed_hosts

SERVER_ID_PATTERN = r"^mcp_[0-9a-f]{20}$"
_SERVER_ID = re.compile(SERVER_ID_PATTERN)
# Tenant credentials are named so (shared/credentials/service.py).
_CREDENTIAL_NAME_PATTERN = r"^[A-Za-z0-9_.-]{1,128}$"


class McpServerCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    url: str = Field(
        min_length=1,
        max_length=2048,
        pattern=r"^[Hh][Tt][Tt][Pp][Ss]?://",
        description="The server's Streamable HTTP endpoint; a private or loopback host only if the tenant's "
        "http_allowed_hosts setting lists it, never a link-local or metadata one",
    )
    credential: str | None = Field(
        default=None,
        pattern=_CREDENTIAL_NAME_PATTERN,
        description="Name of a tenant credential whose headers authenticate each request to the server",
    )


class McpServer(BaseModel):
    server_id: str
    name: str
    url: str
    credential: str | None = Field(description="The tenant credential it authenticates with, by name")
    tools: list[dict[str, Any]] | None = Field(
        description="The tools (MCP tool descriptions) its last refresh found; null before the first refresh"
    )
    refreshed_at: datetime | None
    created_at: datetime
    created_by: str


class McpServerPage(BaseModel):
    items: list[McpServer]
    next_cursor: str | None = None


class McpServerFailed(ProblemError):
    """The server's failure is the caller's to fix (its URL, its credential, the server), not the platform's: a 4xx,
    as the API answers nothing 5xx that the caller's input caused."""

    status = 422
    slug = "mcp-server-failed"
    title = "The MCP server could not be reached or did not answer as MCP"


class McpServerBlocked(ProblemError):
    status = 422
    slug = "mcp-server-blocked"
    title = "The MCP server's address may not be reached"


def _to_model(item: McpServerItem) -> McpServer:
    return McpServer(
        server_id=item.server_id,
        name=item.name,
        url=item.url,
        credential=item.credential,
        tools=item.tools,
        refreshed_at=item.refreshed_at,
        created_at=item.created_at,
        created_by=item.created_by,
    )


def register_server(tenant: TenantContext, request: McpServerCreate, created_by: str) -> McpServer:
    invalid: list[InvalidParam] = []
    reason = url_error(request.url, tenant_allowed_hosts(tenant.tenant_id))
    if reason is not None:
        invalid.append(InvalidParam(name="/url", reason=reason))
    if request.credential is not None and Credentials(tenant).get(request.credential) is None:
        invalid.append(InvalidParam(name="/credential", reason=f"the tenant has no credential {request.credential!r}"))
    if invalid:
        raise ValidationFailed(invalid)
    server_id = f"mcp_{secrets.token_hex(10)}"
    item = McpServers(tenant).new(
        server_id,
        server_id=server_id,
        name=request.name,
        url=request.url,
        credential=request.credential,
        created_at=datetime.now(UTC),
        created_by=created_by,
    )
    McpServers(tenant).create(item)
    return _to_model(item)


def find_server(tenant: TenantContext, server_id: str) -> McpServerItem:
    item = McpServers(tenant).get(server_id) if _SERVER_ID.match(server_id) else None
    if item is None:
        raise NotFound(f"No MCP server {server_id!r}")
    return item


def get_server(tenant: TenantContext, server_id: str) -> McpServer:
    return _to_model(find_server(tenant, server_id))


def list_servers(tenant: TenantContext, *, limit: int, cursor: str | None) -> McpServerPage:
    page: Page[McpServerItem] = McpServers(tenant).page(limit=limit, cursor=cursor)
    return McpServerPage(items=[_to_model(item) for item in page.items], next_cursor=page.next_cursor)


def delete_server(tenant: TenantContext, server_id: str) -> None:
    McpServers(tenant).delete(find_server(tenant, server_id))


def refresh_server(tenant: TenantContext, server_id: str) -> McpServer:
    """Discovers the server's tools now and caches them in place of the last refresh's."""
    item = find_server(tenant, server_id)
    try:
        tools = discover_tools(tenant, item)
    except ServerAddressBlocked as error:
        raise McpServerBlocked(f"MCP server {server_id}: {error}") from error
    except McpServerUnreachable as error:
        raise McpServerFailed(f"MCP server {server_id} ({item.url}): {error}") from error
    item.tools = [tool.to_document() for tool in tools]
    item.refreshed_at = datetime.now(UTC)
    McpServers(tenant).save(item)
    return _to_model(item)
