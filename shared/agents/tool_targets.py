"""Run-time checks of the tools that name tenant resources: a workflow tool runs only a workflow of the node's own
tenant, and an MCP tool only a cached tool of a server of that tenant, whatever the definition says (validation
refused other tenants' workflows and servers already; this refuses again)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from shared.agents.errors import AgentToolFailed, AgentToolRefused
from shared.store.context import TenantContext


class WorkflowToolEvent(BaseModel):
    tenant_id: str
    workflow_id: str
    tool_workflow_id: str
    version: int | None = None
    # The ARN compiled into the definition: started only once the workflow is found in the tenant's own partition.
    state_machine_arn: str


def workflow_tool_target(event: WorkflowToolEvent) -> dict[str, str]:
    from shared.store.workflows import Workflows, WorkflowVersions

    tenant = TenantContext(event.tenant_id)
    item = Workflows(tenant).get(event.tool_workflow_id)
    if item is None:
        raise AgentToolRefused(f"the tenant has no workflow {event.tool_workflow_id!r}")
    if event.version is None:
        if not item.live_version:
            raise AgentToolRefused(f"workflow {event.tool_workflow_id!r} has no live version")
        return {"arn": event.state_machine_arn}
    found = WorkflowVersions(tenant, event.tool_workflow_id).get_version(event.version)
    if found is None or found.state_machine_version_arn != event.state_machine_arn:
        raise AgentToolRefused(f"workflow {event.tool_workflow_id!r} has no version {event.version}")
    return {"arn": found.state_machine_version_arn}


class McpToolEvent(BaseModel):
    tenant_id: str
    server_id: str
    tool: str
    input: dict[str, Any] = Field(default_factory=dict)


def run_mcp_tool(event: McpToolEvent) -> dict[str, Any]:
    """The tool's result; an error result (from the server, or an unknown server or tool of this tenant) fails the
    call with its text, which the loop gives the model as the call's error."""
    from shared.agents.mcp.client import call_tool

    result, is_error = call_tool(event.tenant_id, event.server_id, event.tool, event.input)
    if is_error:
        raise AgentToolFailed(result if isinstance(result, str) else str(result)[:2_000])
    return {"result": result}
