"""Run-time checks of the tools that name tenant resources: a workflow tool runs only a workflow of the node's own
tenant, whatever the definition says (validation refused other tenants' workflows already; this refuses again)."""

from __future__ import annotations

from pydantic import BaseModel

from shared.agents.errors import AgentToolRefused
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
