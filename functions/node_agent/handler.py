from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.agents.builtins import run_builtin
from shared.agents.config import TurnEvent
from shared.agents.tool_targets import McpToolEvent, WorkflowToolEvent, run_mcp_tool, workflow_tool_target
from shared.agents.turn import run_turn
from shared.observability import log_failures, logger


@logger.inject_lambda_context(correlation_id_path="execution_id")
@log_failures
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    action = event.get("action")
    if action == "builtin":
        return run_builtin(str(event["tool"]), event.get("input") or {})
    if action == "workflow_tool":
        return workflow_tool_target(WorkflowToolEvent.model_validate(event))
    if action == "mcp_tool":
        return run_mcp_tool(McpToolEvent.model_validate(event))
    return run_turn(TurnEvent.model_validate(event))
