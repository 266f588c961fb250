"""MCP both ways: the tenant's exposed workflows as an MCP server (`POST /v1/mcp`) and the MCP servers the tenant
registers for its agents (`/v1/mcp-servers`). docs/mcp.md."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from shared.agents.mcp.messages import McpMessage, McpReply
from shared.agents.mcp.registry import (
    SERVER_ID_PATTERN,
    McpServer,
    McpServerCreate,
    McpServerPage,
    delete_server,
    get_server,
    list_servers,
    refresh_server,
    register_server,
)
from shared.auth.dependencies import CurrentPrincipal, CurrentTenant
from shared.http.pagination import DEFAULT_LIMIT, PageCursor, PageLimit

router = APIRouter(tags=["mcp"])

ServerId = Annotated[str, Path(max_length=64, description=f"The server's id ({SERVER_ID_PATTERN})")]


@router.post(
    "/v1/mcp",
    response_model=McpReply,
    summary="The tenant's MCP server (Streamable HTTP, stateless, JSON answers): tools/list lists its published "
    "workflows marked expose_as_tool, tools/call runs one as an execution with trigger mcp",
    responses={
        202: {"description": "A notification, accepted (no body)"},
    },
)
async def post_mcp(message: McpMessage, request: Request, tenant: CurrentTenant) -> Response:
    # The SDK takes a second to import: only when an MCP request arrives, not at the function's cold start.
    from shared.agents.mcp.server import answer_mcp_request
    from shared.executions.error_workflows import start_error_workflow

    answer = await answer_mcp_request(tenant, request.scope, await request.body(), start_error_workflow)
    return Response(answer.body, status_code=answer.status, headers=answer.headers)


@router.post(
    "/v1/mcp-servers",
    status_code=201,
    response_model=McpServer,
    summary="Register an MCP server (URL and, by name, the tenant credential it authenticates with)",
)
def post_mcp_server(request: McpServerCreate, tenant: CurrentTenant, principal: CurrentPrincipal) -> McpServer:
    return register_server(tenant, request, principal.subject)


@router.get("/v1/mcp-servers", response_model=McpServerPage, summary="List the tenant's MCP servers")
def get_mcp_servers(
    tenant: CurrentTenant, limit: PageLimit = DEFAULT_LIMIT, cursor: PageCursor = None
) -> McpServerPage:
    return list_servers(tenant, limit=limit, cursor=cursor)


@router.get(
    "/v1/mcp-servers/{server_id}",
    response_model=McpServer,
    summary="Read an MCP server and the tools its last refresh found",
)
def read_mcp_server(server_id: ServerId, tenant: CurrentTenant) -> McpServer:
    return get_server(tenant, server_id)


@router.delete("/v1/mcp-servers/{server_id}", status_code=204, summary="Remove an MCP server")
def remove_mcp_server(server_id: ServerId, tenant: CurrentTenant) -> Response:
    delete_server(tenant, server_id)
    return Response(status_code=204)


@router.post(
    "/v1/mcp-servers/{server_id}/refresh",
    response_model=McpServer,
    summary="Discover the server's tools now (official MCP client) and cache them with their schemas",
)
def post_mcp_server_refresh(server_id: ServerId, tenant: CurrentTenant) -> McpServer:
    return refresh_server(tenant, server_id)
