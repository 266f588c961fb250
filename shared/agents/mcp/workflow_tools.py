"""A tenant's published workflows marked `expose_as_tool`, as the tools its MCP server lists and runs.

Each tool is the workflow's live version described as a tool (shared/agents/tools/workflow_tool.py); a call is an
execution with trigger `mcp`: an express workflow runs synchronously, a standard one is started and waited for on its
status change (shared/executions/end_signals.py) until it ends or the wait is over, when the answer is the running
execution's id (not an error: it goes on running).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from shared.agents.tools.canonical import CanonicalTool
from shared.agents.tools.workflow_tool import workflow_tool
from shared.executions.model import execution_of
from shared.executions.record import EndFollowUp
from shared.executions.start import StartRequest, start_and_follow
from shared.executions.statuses import ENDED, ExecutionStatus, Trigger
from shared.problems import ProblemError
from shared.store.executions import ExecutionItem
from shared.store.tenant_scoped import TenantContext
from shared.store.workflows import WorkflowItem, Workflows, WorkflowVersions, unpack

# An execution is followed this long, then answered with its id: within API Gateway's 29 s.
WAIT_SECONDS = 20.0
_CACHED_VERSIONS = 512


@dataclass(frozen=True)
class WorkflowTool:
    workflow_id: str
    tool: CanonicalTool


@dataclass(frozen=True)
class ToolOutcome:
    """What a call answers: the execution's output (or where it stands), and whether the call failed."""

    value: Any
    is_error: bool


@lru_cache(maxsize=_CACHED_VERSIONS)
def _exposed_tool(tenant: TenantContext, workflow_id: str, version: int) -> CanonicalTool | None:
    """The published version as a tool, or None when it is not exposed; versions are immutable, so cached."""
    published = WorkflowVersions(tenant, workflow_id).get_version(version)
    definition = unpack(published.definition) if published is not None else None
    if not definition or definition.get("expose_as_tool") is not True:
        return None
    return workflow_tool(definition)


def exposed_workflow_tools(tenant: TenantContext) -> list[WorkflowTool]:
    """The tenant's exposed workflows in id order; a name two workflows share is told apart by the workflow id."""
    published = Workflows(tenant).all_matching(WorkflowItem.live_version.exists())
    found: list[WorkflowTool] = []
    taken: set[str] = set()
    for item in published:
        tool = _exposed_tool(tenant, str(item.workflow_id), int(item.live_version))
        if tool is None:
            continue
        if tool.name in taken:
            tool = tool.model_copy(update={"name": f"{tool.name}_{item.workflow_id}"})
        taken.add(tool.name)
        found.append(WorkflowTool(str(item.workflow_id), tool))
    return found


def run_workflow_tool(
    tenant: TenantContext, workflow_id: str, arguments: dict[str, Any], after_end: EndFollowUp
) -> ToolOutcome:
    """Runs the workflow with the arguments as its input; what stops it from starting is an error outcome."""
    request = StartRequest(workflow_id=workflow_id, input=arguments, trigger=Trigger.MCP)
    try:
        followed = start_and_follow(tenant, request, WAIT_SECONDS)
    except ProblemError as error:
        return ToolOutcome({"error": error.title, "detail": error.detail}, True)
    for change in followed.changes:
        after_end(change)
    return _outcome(followed.record)


def _still_running(execution_id: str) -> ToolOutcome:
    return ToolOutcome(
        {
            "execution_id": execution_id,
            "status": ExecutionStatus.RUNNING.value,
            "detail": f"Still running; follow it at /v1/executions/{execution_id}",
        },
        False,
    )


def _outcome(item: ExecutionItem) -> ToolOutcome:
    execution = execution_of(item)
    if execution.status == ExecutionStatus.SUCCEEDED:
        return ToolOutcome(execution.output, False)
    if execution.status not in ENDED:
        return _still_running(execution.execution_id)
    failure = {"execution_id": execution.execution_id, "status": execution.status.value}
    return ToolOutcome({**failure, "error": execution.error, "cause": execution.cause}, True)
