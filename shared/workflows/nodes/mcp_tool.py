"""`mcp_tool`: calls one tool of an MCP server the tenant registered, as its own step (no model involved).

A Task invoking the `node_agent` function's `mcp_tool` action, the same path an agent's MCP tool takes: the server is
looked up in the node's own tenant and the tool among those its last refresh cached, at validation and again at run
time. The arguments may hold `{% … %}` expressions over the node's input; a tool's error result fails the node with
`Agent.ToolFailed`, which `on_error` and `retry` can name.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import Field

from shared.workflows.nodes.base import CompileTarget, NodeParams, NodeType, States, Wiring, expression


class McpToolParams(NodeParams):
    server_id: str = Field(min_length=1, max_length=64, description="A registered MCP server of this tenant")
    tool: str = Field(min_length=1, max_length=128, description="The tool's name on the server (as last refreshed)")
    arguments: dict[str, Any] = Field(
        default_factory=dict, description="The tool's arguments; values may be `{% … %}` expressions"
    )


class McpToolNode(NodeType[McpToolParams]):
    type = "mcp_tool"
    summary = "Calls a tool of one of the tenant's registered MCP servers"
    params_model = McpToolParams
    handles_errors = True
    supports_timeout = True
    function = "node_agent"

    def references(self, params: McpToolParams, target: CompileTarget) -> Iterator[tuple[str, str]]:
        tools = target.mcp_tools(params.server_id)
        if not tools:
            yield "/server_id", f"no MCP server {params.server_id!r} with refreshed tools exists in this tenant"
        elif params.tool not in {tool.name for tool in tools}:
            yield "/tool", f"MCP server {params.server_id!r} has no tool {params.tool!r} (as of its last refresh)"

    def emit(self, params: McpToolParams, wiring: Wiring) -> States:
        payload = {
            "action": "mcp_tool",
            "tenant_id": wiring.target.tenant_id,
            "server_id": params.server_id,
            "tool": params.tool,
            "input": params.arguments,
        }
        state = {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Arguments": {"FunctionName": self.function_arn(wiring), "Payload": payload},
            "Output": expression("$states.result.Payload.result"),
        }
        return {wiring.node.id: {**state, **wiring.error_handling, **wiring.transition()}}


NODE_TYPE = McpToolNode()
