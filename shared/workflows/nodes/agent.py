"""`agent`: a model that may call tools, run as a loop of states so every turn and tool call is a visible step.

    <id>            Parallel of one branch: the node's Catch covers the whole loop, its output is the loop's
      __begin       Pass: the prompt, system text and memory key evaluated over the node's input
      __turn        Task (node_agent): one model turn; the node's Retry and TimeoutSeconds apply to each turn
      __route       Choice: tool calls → __tools; an answer to repair → __turn; the turn limit → __max_turns
      __tools       Map over the turn's tool calls, each routed by name to its own Task with Retry and Catch
      __done        Pass: the node's output {answer, turns, usage, tool_calls}
      __max_turns   Fail: Agent.MaxTurns

The agent's configuration (model, tools as the model sees them, limits) is compiled into the turn's arguments as
one JSON string, so nothing in it is ever evaluated as an expression and nothing a model or tool says changes it.
A tool kind is a class with its `spec` (what the model sees) and its `states` (what runs it): builtin, http,
workflow, and mcp (a tool of an MCP server the tenant registered, as its last refresh cached it).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shared.agent_models.tuning import foreign_tuned_model
from shared.agents.builtins import BUILTINS
from shared.agents.config import CREDENTIAL_NAME_PATTERN, TOOL_NAME_PATTERN, ModelChoice
from shared.agents.conversation import MAX_PARALLEL_TOOL_CALLS, TOOL_RESULT_MAX_CHARS
from shared.agents.errors import MAX_TURNS
from shared.agents.providers.contract import ToolSpec
from shared.agents.tools.canonical import CanonicalTool
from shared.agents.tools.rules import empty_object_schema
from shared.workflows.nodes.base import (
    CompileTarget,
    NodeParams,
    NodeType,
    State,
    States,
    Wiring,
    expression,
    find_templates,
)
from shared.workflows.nodes.http_request import NODE_TYPE as HTTP_REQUEST
from shared.workflows.nodes.http_request import HttpRequestParams

DEFAULT_MAX_TURNS = 8
MAX_TURNS_CAP = 50
MAX_TOOLS = 32
_LAMBDA_TASK = "arn:aws:states:::lambda:invoke"
_LAMBDA_TRANSIENT = ["Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException"]
# Transient Lambda failures of a tool call are retried; whatever still fails becomes the call's error result.
_TOOL_RETRY = [{"ErrorEquals": _LAMBDA_TRANSIENT, "IntervalSeconds": 1, "MaxAttempts": 2, "BackoffRate": 2.0}]
_CALL = "'toolUseId': $states.input.toolUseId, 'name': $states.input.name"


def json_schema_error(schema: dict[str, Any]) -> str | None:
    import jsonschema_rs

    if jsonschema_rs.meta.is_valid(schema):
        return None
    try:
        jsonschema_rs.meta.validate(schema)
    except jsonschema_rs.ValidationError as error:
        return f"not a JSON Schema: {error.message}"
    return "not a JSON Schema"


class _Tool(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=TOOL_NAME_PATTERN, description="What the model calls it; unique in the node")
    description: str | None = Field(default=None, max_length=4_000)

    def spec(self, target: CompileTarget) -> ToolSpec:
        raise NotImplementedError

    def states(self, state: str, agent: AgentNode, wiring: Wiring, failed: str) -> States:
        """The states that run one call of this tool, starting at `state`, each ending with the call's outcome."""
        raise NotImplementedError

    def references(self, target: CompileTarget) -> Iterator[tuple[str, str]]:
        yield from ()


def _outcome(result: str) -> str:
    """A successful call's outcome, its result cut to what the loop's state can carry."""
    return expression(
        f"($r := {result}; $s := $exists($r) ? $string($r) : 'null'; {{{_CALL}, 'status': 'success', "
        f"'result': $length($s) <= {TOOL_RESULT_MAX_CHARS} ? $r : "
        f"{{'truncated': true, 'text': $substring($s, 0, {TOOL_RESULT_MAX_CHARS})}}, 'bytes': $length($s)}})"
    )


def _tool_task(arguments: State, result: str, failed: str, resource: str = _LAMBDA_TASK) -> State:
    return {
        "Type": "Task",
        "Resource": resource,
        "Arguments": arguments,
        "Output": _outcome(result),
        "Retry": _TOOL_RETRY,
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": failed, "Output": _FAILED_OUTPUT}],
        "End": True,
    }


_FAILED_OUTPUT = expression(
    f"{{{_CALL}, 'status': 'error', 'result': {{'error': $states.errorOutput.Error, "
    "'cause': $substring($string($states.errorOutput.Cause), 0, 2000)}, 'bytes': 0}"
)


class BuiltinTool(_Tool):
    """A tool that needs no network, run by node_agent."""

    kind: Literal["builtin"]
    name: Literal["current_time", "calculator"]

    def spec(self, target: CompileTarget) -> ToolSpec:
        spec = BUILTINS[self.name][0]
        return {**spec, "description": self.description or spec["description"]}

    def states(self, state: str, agent: AgentNode, wiring: Wiring, failed: str) -> States:
        payload = {"action": "builtin", "tenant_id": wiring.target.tenant_id, "tool": self.name}
        arguments = {
            "FunctionName": agent.function_arn(wiring),
            "Payload": {**payload, "input": expression("$states.input.input")},
        }
        return {state: _tool_task(arguments, "$states.result.Payload", failed)}


class HttpTool(_Tool):
    """An `http_request` preset through node_http (SSRF guard, credential by reference). The model's arguments are
    the request's JSON body (`arguments_as: body`) or added to its query; `{% … %}` values in the request see them
    as `$states.input.input`."""

    kind: Literal["http"]
    input_schema: dict[str, Any] = Field(default_factory=empty_object_schema)
    request: HttpRequestParams
    arguments_as: Literal["body", "query"] = "body"

    @field_validator("input_schema")
    @classmethod
    def _object_schema(cls, schema: dict[str, Any]) -> dict[str, Any]:
        reason = json_schema_error(schema)
        if reason is None and schema.get("type") != "object":
            reason = 'a tool\'s input schema must have "type": "object"'
        if reason:
            raise ValueError(reason)
        return schema

    def spec(self, target: CompileTarget) -> ToolSpec:
        return {
            "name": self.name,
            "description": self.description or f"{self.request.method} request to {self.request.url}",
            "inputSchema": self.input_schema,
        }

    def states(self, state: str, agent: AgentNode, wiring: Wiring, failed: str) -> States:
        request: dict[str, Any] = self.request.model_dump(mode="json", exclude_none=True)
        if self.arguments_as == "body":
            request["body"] = expression("$states.input.input")
        else:
            preset = json.dumps(self.request.query)
            request["query"] = expression(
                f"$merge([{preset}, $each($states.input.input, function($v, $k) "
                "{ {$k: $type($v) = 'string' ? $v : $string($v)} })])"
            )
        payload = {
            "tenant_id": wiring.target.tenant_id,
            "workflow_id": wiring.target.workflow_id,
            "node_id": wiring.node.id,
            "execution_id": expression("$states.context.Execution.Id"),
            "request": request,
        }
        arguments = {"FunctionName": HTTP_REQUEST.function_arn(wiring), "Payload": payload}
        result = "{'status': $states.result.Payload.status, 'body': $states.result.Payload.body}"
        return {state: _tool_task(arguments, result, failed)}


class WorkflowTool(_Tool):
    """A published workflow of the same tenant, run as a child execution with the model's arguments as its input.
    Checked at validation and again at run time (node_agent), before the child starts."""

    kind: Literal["workflow"]
    workflow_id: str = Field(min_length=1, max_length=64)
    version: int | None = Field(default=None, ge=1, description="A published version; none means its live version")

    def spec(self, target: CompileTarget) -> ToolSpec:
        return {
            "name": self.name,
            "description": self.description or f"Runs the workflow {self.workflow_id!r} with the arguments as input",
            "inputSchema": empty_object_schema(),
        }

    def references(self, target: CompileTarget) -> Iterator[tuple[str, str]]:
        if self.workflow_id == target.workflow_id:
            yield "/workflow_id", "a workflow can't run itself as an agent's tool"
        elif target.subworkflow_arn(self.workflow_id, self.version) is None:
            which = f"version {self.version}" if self.version else "a live version"
            yield "/workflow_id", f"no workflow {self.workflow_id!r} with {which} exists in this tenant"

    def states(self, state: str, agent: AgentNode, wiring: Wiring, failed: str) -> States:
        arn = wiring.target.subworkflow_arn(self.workflow_id, self.version)
        if arn is None:
            raise ValueError(f"workflow tool {self.workflow_id!r} is not resolvable; validate before compiling")
        run_state = f"{state}_run"
        payload = {
            "action": "workflow_tool",
            "tenant_id": wiring.target.tenant_id,
            "workflow_id": wiring.target.workflow_id,
            "tool_workflow_id": self.workflow_id,
            "version": self.version,
            "state_machine_arn": arn,
        }
        checked = _tool_task({"FunctionName": agent.function_arn(wiring), "Payload": payload}, "null", failed)
        checked["Output"] = expression("$merge([$states.input, {'arn': $states.result.Payload.arn}])")
        del checked["End"]
        checked["Next"] = run_state
        run = _tool_task(
            {"StateMachineArn": expression("$states.input.arn"), "Input": expression("$states.input.input")},
            "$states.result.Output",
            failed,
            resource="arn:aws:states:::states:startExecution.sync:2",
        )
        del run["Retry"]
        return {state: checked, run_state: run}


class McpTool(_Tool):
    """A tool of an MCP server the tenant registered, as the server's last refresh cached it (its input schema is
    the cached one), called by node_agent through the MCP client. Checked at validation and again at run time: the
    server is looked up in the node's own tenant and the tool among its cached ones."""

    kind: Literal["mcp"]
    server_id: str = Field(min_length=1, max_length=64)
    tool: str = Field(min_length=1, max_length=128, description="The tool's name on the server")

    @model_validator(mode="before")
    @classmethod
    def _named_as_on_the_server(cls, data: Any) -> Any:
        if isinstance(data, dict) and "name" not in data and isinstance(data.get("tool"), str):
            return {**data, "name": data["tool"]}
        return data

    def _cached(self, target: CompileTarget) -> CanonicalTool | None:
        return next((tool for tool in target.mcp_tools(self.server_id) if tool.name == self.tool), None)

    def spec(self, target: CompileTarget) -> ToolSpec:
        cached = self._cached(target)
        if cached is None:
            raise ValueError(f"MCP tool {self.tool!r} is not resolvable; validate before compiling")
        return {
            "name": self.name,
            "description": self.description or cached.description or f"The MCP tool {self.tool!r}",
            "inputSchema": cached.input_schema,
        }

    def references(self, target: CompileTarget) -> Iterator[tuple[str, str]]:
        tools = target.mcp_tools(self.server_id)
        if not tools:
            yield "/server_id", f"no MCP server {self.server_id!r} with refreshed tools exists in this tenant"
        elif self.tool not in {tool.name for tool in tools}:
            yield "/tool", f"MCP server {self.server_id!r} has no tool {self.tool!r} (as of its last refresh)"

    def states(self, state: str, agent: AgentNode, wiring: Wiring, failed: str) -> States:
        payload = {
            "action": "mcp_tool",
            "tenant_id": wiring.target.tenant_id,
            "server_id": self.server_id,
            "tool": self.tool,
            "input": expression("$states.input.input"),
        }
        arguments = {"FunctionName": agent.function_arn(wiring), "Payload": payload}
        return {state: _tool_task(arguments, "$states.result.Payload.result", failed)}


# Every kind of tool an agent may be given.
AgentTool = Annotated[BuiltinTool | HttpTool | WorkflowTool | McpTool, Field(discriminator="kind")]


class Memory(BaseModel):
    model_config = ConfigDict(extra="forbid")

    conversation_key: str = Field(
        min_length=1, max_length=2_000, description="JSONata over the node's input naming the conversation"
    )
    window: int = Field(default=10, ge=1, le=100, description="How many earlier exchanges the model is given")


class AgentParams(NodeParams):
    model: ModelChoice
    credential: str | None = Field(
        default=None, pattern=CREDENTIAL_NAME_PATTERN, description="A tenant credential holding the provider's key"
    )
    system: str | None = Field(default=None, max_length=20_000, description="Text or a `{% … %}` expression")
    prompt: str = Field(min_length=1, max_length=100_000, description="Text or a `{% … %}` expression")
    tools: list[AgentTool] = Field(default_factory=list, max_length=MAX_TOOLS)
    output_schema: dict[str, Any] | None = Field(default=None, description="JSON Schema the final answer must match")
    max_turns: int = Field(default=DEFAULT_MAX_TURNS, ge=1, le=MAX_TURNS_CAP)
    max_tokens: int = Field(default=1_024, ge=1, le=64_000, description="Per model turn")
    temperature: float | None = Field(default=None, ge=0, le=2)
    memory: Memory | None = None

    @field_validator("tools")
    @classmethod
    def _unique_names(cls, tools: list[BuiltinTool | HttpTool | WorkflowTool | McpTool]) -> list[Any]:
        names = [tool.name for tool in tools]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"tool names must be unique; repeated: {', '.join(repeated)}")
        return tools

    @field_validator("output_schema")
    @classmethod
    def _a_json_schema(cls, schema: dict[str, Any] | None) -> dict[str, Any] | None:
        reason = None if schema is None else json_schema_error(schema)
        if reason:
            raise ValueError(reason)
        return schema


class AgentNode(NodeType[AgentParams]):
    type = "agent"
    summary = "A model that answers the prompt, calling the node's tools in a loop of visible steps"
    params_model = AgentParams
    handles_errors = True
    supports_timeout = True
    function = "node_agent"

    def standard_only_for(self, params: AgentParams) -> bool:
        """Workflow tools wait for a child execution (`.sync`), which express workflows can't."""
        return any(isinstance(tool, WorkflowTool) for tool in params.tools)

    def expressions(self, params: AgentParams) -> Iterator[tuple[str, str]]:
        for name in ("prompt", "system"):
            yield from find_templates(getattr(params, name), f"/{name}")
        if params.memory is not None:
            yield "/memory/conversation_key", params.memory.conversation_key
        for position, tool in enumerate(params.tools):
            if isinstance(tool, HttpTool):
                yield from find_templates(tool.request, f"/tools/{position}/request")

    def references(self, params: AgentParams, target: CompileTarget) -> Iterator[tuple[str, str]]:
        if params.model.provider == "sagemaker" and foreign_tuned_model(target.tenant_id, params.model.model_id):
            yield "/model/model_id", f"no tuned model {params.model.model_id!r} exists in this tenant"
        for position, tool in enumerate(params.tools):
            for where, reason in tool.references(target):
                yield f"/tools/{position}{where}", reason

    def emit(self, params: AgentParams, wiring: Wiring) -> States:
        node_id = wiring.node.id

        def named(suffix: str) -> str:
            return f"{node_id}__{suffix}"

        handling = wiring.error_handling
        turn: State = {
            "Type": "Task",
            "Resource": _LAMBDA_TASK,
            "Arguments": {
                "FunctionName": self.function_arn(wiring),
                "Payload": {
                    "action": "turn",
                    "tenant_id": wiring.target.tenant_id,
                    "workflow_id": wiring.target.workflow_id,
                    "node_id": node_id,
                    "execution_id": expression("$states.context.Execution.Id"),
                    "agent": json.dumps(self._config(params, wiring.target), separators=(",", ":"), sort_keys=True),
                    "state": expression("$states.input"),
                },
            },
            "Output": expression("$states.result.Payload"),
            "Retry": handling.get("Retry")
            or [{"ErrorEquals": _LAMBDA_TRANSIENT, "IntervalSeconds": 1, "MaxAttempts": 2, "BackoffRate": 2.0}],
            "Next": named("route"),
        }
        if "TimeoutSeconds" in handling:
            turn["TimeoutSeconds"] = handling["TimeoutSeconds"]
        begin: State = {"prompt": params.prompt}
        if params.system is not None:
            begin["system"] = params.system
        if params.memory is not None:
            begin["conversation_key"] = expression(f"$string({params.memory.conversation_key})")
        route: State = {
            "Type": "Choice",
            "Choices": [
                {"Condition": expression("$states.input.status = 'tool_calls'"), "Next": named("tools")},
                {"Condition": expression("$states.input.status = 'repair'"), "Next": named("turn")},
                {"Condition": expression("$states.input.status = 'max_turns'"), "Next": named("max_turns")},
            ],
            "Default": named("done"),
        }
        failed = named("tool_failed")
        calls: States = {}
        choices = []
        for position, tool in enumerate(params.tools):
            entry = named(f"tool{position + 1}")
            calls.update(tool.states(entry, self, wiring, failed))
            choices.append({"Condition": expression(f"$states.input.name = {json.dumps(tool.name)}"), "Next": entry})
        unknown = expression(f"{{{_CALL}, 'status': 'error', 'result': {{'error': 'no such tool'}}, 'bytes': 0}}")
        pick: State = {"Type": "Pass", "Output": unknown, "End": True}
        if choices:
            pick = {"Type": "Choice", "Choices": choices, "Default": named("unknown_tool")}
            calls[named("unknown_tool")] = {"Type": "Pass", "Output": unknown, "End": True}
        calls[failed] = {"Type": "Pass", "End": True}
        tools: State = {
            "Type": "Map",
            "Items": expression("$states.input.pending"),
            "MaxConcurrency": MAX_PARALLEL_TOOL_CALLS,
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "INLINE"},
                "StartAt": named("pick"),
                "States": {named("pick"): pick, **calls},
            },
            "Output": expression("$merge([$states.input, {'tool_results': $states.result}])"),
            "Next": named("turn"),
        }
        loop: States = {
            named("begin"): {"Type": "Pass", "Output": begin, "Next": named("turn")},
            named("turn"): turn,
            named("route"): route,
            named("tools"): tools,
            named("done"): {"Type": "Pass", "Output": expression("$states.input.result"), "End": True},
            named("max_turns"): {
                "Type": "Fail",
                "Error": MAX_TURNS,
                "Cause": f"the agent still asked for tools after max_turns ({params.max_turns}) model turns",
            },
        }
        wrapper: State = {
            "Type": "Parallel",
            "Branches": [{"StartAt": named("begin"), "States": loop}],
            "Output": expression("$states.result[0]"),
        }
        if "Catch" in handling:
            wrapper["Catch"] = handling["Catch"]
        return {node_id: {**wrapper, **wiring.transition()}}

    @staticmethod
    def _config(params: AgentParams, target: CompileTarget) -> dict[str, Any]:
        return {
            "model": params.model.model_dump(mode="json", exclude_none=True),
            "credential": params.credential,
            "tools": [tool.spec(target) for tool in params.tools],
            "output_schema": params.output_schema,
            "max_turns": params.max_turns,
            "max_tokens": params.max_tokens,
            "temperature": params.temperature,
            "memory_window": params.memory.window if params.memory else None,
        }


NODE_TYPE = AgentNode()
