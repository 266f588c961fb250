"""What the workflow tests share: the compile target of the local platform and running a definition in moto."""

from __future__ import annotations

import dataclasses
import json
import uuid
from typing import Any

import boto3

from devserver.emulation import LOCAL_PREFIX, physical_names
from shared.agents.tools.canonical import CanonicalTool
from shared.resources import WORKFLOW_STATE_MACHINES
from shared.workflows.nodes.base import CompileTarget
from shared.workflows.placement import WorkflowPlacement
from shared.workflows.validation import ValidationResult, validate_workflow
from tests.helpers import wait_until
from tests.workflows.cases import (
    CHILD_WORKFLOW_ID,
    GOLDEN_MCP_SERVER_ID,
    GOLDEN_MCP_TOOL,
    GOLDEN_PRESET,
    GOLDEN_PRESET_ID,
    TENANT_ID,
    WORKFLOW_ID,
    GoldenCase,
)

PLACEMENT = WorkflowPlacement.from_arn_prefix(physical_names(LOCAL_PREFIX)[WORKFLOW_STATE_MACHINES.env_var])
CHILD_ARN = PLACEMENT.state_machine_arn(CHILD_WORKFLOW_ID)
FINISHED = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}


def resolve_child(workflow_id: str, version: int | None) -> str | None:
    return CHILD_ARN if workflow_id == CHILD_WORKFLOW_ID else None


def golden_mcp_tools(server_id: str) -> list[CanonicalTool]:
    """The golden cases' MCP server (which no tenant registered: running its tool is refused), else the tenant's."""
    if server_id == GOLDEN_MCP_SERVER_ID:
        return [GOLDEN_MCP_TOOL]
    from shared.agents.mcp.client import server_tools

    return server_tools(TENANT_ID, server_id)


def golden_node_preset(preset_id: str) -> tuple[str, dict[str, Any]] | None:
    return GOLDEN_PRESET if preset_id == GOLDEN_PRESET_ID else None


def golden_target(workflow_id: str = WORKFLOW_ID) -> CompileTarget:
    target = PLACEMENT.compile_target(TENANT_ID, workflow_id, resolve_child)
    return dataclasses.replace(target, mcp_server_tools=golden_mcp_tools, node_preset_lookup=golden_node_preset)


def validate(document: dict[str, Any], workflow_id: str = WORKFLOW_ID) -> ValidationResult:
    return validate_workflow(document, golden_target(workflow_id))


def compile_case(case: GoldenCase) -> dict[str, Any]:
    result = validate(case.document())
    assert result.definition is not None, result.findings
    return result.definition


def create_state_machine(definition: dict[str, Any], name: str | None = None) -> str:
    sfn = boto3.client("stepfunctions", region_name=PLACEMENT.region)
    response = sfn.create_state_machine(
        name=name or f"test-{uuid.uuid4().hex[:12]}",
        definition=json.dumps(definition),
        roleArn=PLACEMENT.execution_role_arn,
    )
    return response["stateMachineArn"]


def start(state_machine_arn: str, run_input: Any) -> str:
    sfn = boto3.client("stepfunctions", region_name=PLACEMENT.region)
    return sfn.start_execution(stateMachineArn=state_machine_arn, name=uuid.uuid4().hex, input=json.dumps(run_input))[
        "executionArn"
    ]


def wait_for_end(execution_arn: str, timeout: float = 30.0) -> dict[str, Any]:
    sfn = boto3.client("stepfunctions", region_name=PLACEMENT.region)

    def describe() -> dict[str, Any]:
        return dict(sfn.describe_execution(executionArn=execution_arn))

    described: dict[str, Any] = wait_until(
        describe,
        lambda execution: execution["status"] in FINISHED,
        timeout=timeout,
        interval=0.05,
    )
    return described


def run(definition: dict[str, Any], run_input: Any, timeout: float = 30.0) -> dict[str, Any]:
    return wait_for_end(start(create_state_machine(definition), run_input), timeout)
