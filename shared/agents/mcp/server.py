"""The tenant's MCP server (`POST /v1/mcp`): the official SDK's Streamable HTTP transport, stateless and answering
JSON, so that each request is whole in itself, as API Gateway and Lambda need.

Each request gets its own SDK server bound to the caller's tenant, run for that request alone: nothing outlives
the request and no tenant's tools reach another's. `tools/list` lists the tenant's exposed workflows and
`tools/call` runs one (shared/agents/mcp/workflow_tools.py); what keeps a workflow from running, or its failure, is
a tool result with `isError`, while an unknown tool is a JSON-RPC error. The SDK is imported here, which the route
imports only when a request arrives.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import anyio
import mcp_types as types
from mcp.server.lowlevel import Server
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.shared.exceptions import MCPError
from mcp_types.jsonrpc import INVALID_PARAMS
from starlette.types import Message, Scope

from shared.agents.mcp.workflow_tools import ToolOutcome, exposed_workflow_tools, run_workflow_tool
from shared.executions.record import EndFollowUp
from shared.store.tenant_scoped import TenantContext

SERVER_NAME = "nexus-forge"
# The SDK logs the start and end of every request's session manager at INFO: two lines per request, saying nothing.
logging.getLogger("mcp.server.streamable_http_manager").setLevel(logging.WARNING)


@dataclass
class McpAnswer:
    status: int
    headers: dict[str, str]
    body: bytes


def _tenant_server(tenant: TenantContext, after_end: EndFollowUp) -> Server[Any]:
    async def list_tools(context: Any, params: types.PaginatedRequestParams | None) -> types.ListToolsResult:
        found = await anyio.to_thread.run_sync(exposed_workflow_tools, tenant)
        return types.ListToolsResult(
            tools=[types.Tool.model_validate(entry.tool.to_document(), by_alias=True) for entry in found]
        )

    async def call_tool(context: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        found = await anyio.to_thread.run_sync(exposed_workflow_tools, tenant)
        workflow_id = next((entry.workflow_id for entry in found if entry.tool.name == params.name), None)
        if workflow_id is None:
            raise MCPError(code=INVALID_PARAMS, message=f"Unknown tool: {params.name}")
        outcome: ToolOutcome = await anyio.to_thread.run_sync(
            run_workflow_tool, tenant, workflow_id, params.arguments or {}, after_end
        )
        text = outcome.value if isinstance(outcome.value, str) else json.dumps(outcome.value)
        structured = outcome.value if isinstance(outcome.value, dict) else None
        return types.CallToolResult(
            content=[types.TextContent(text=text)], structured_content=structured, is_error=outcome.is_error
        )

    return Server(SERVER_NAME, on_list_tools=list_tools, on_call_tool=call_tool)


async def answer_mcp_request(tenant: TenantContext, scope: Scope, body: bytes, after_end: EndFollowUp) -> McpAnswer:
    """Runs one JSON-RPC message through a stateless server of the tenant's; the answer is always JSON (or empty,
    202, for a notification), so the request's Accept header is read as asking for it. `after_end` runs on each
    status change a tool's synchronous run applied."""
    headers = [(name, value) for name, value in scope["headers"] if name not in (b"accept", b"content-type")]
    inner_scope = {
        **scope,
        "headers": [*headers, (b"accept", b"application/json"), (b"content-type", b"application/json")],
    }
    delivered = False

    async def receive() -> Message:
        nonlocal delivered
        if delivered:
            await anyio.sleep_forever()
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    answer = McpAnswer(500, {}, b"")

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            answer.status = message["status"]
            answer.headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in message["headers"]}
        elif message["type"] == "http.response.body":
            answer.body += message.get("body", b"")

    manager = StreamableHTTPSessionManager(_tenant_server(tenant, after_end), json_response=True, stateless=True)
    async with manager.run():
        await manager.handle_request(inner_scope, receive, send)
    answer.headers.pop("content-length", None)
    return answer
