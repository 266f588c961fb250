"""One model turn of the agent loop (the `node_agent` function's `turn` action).

The compiled loop calls this with the loop's state: first the evaluated prompt, later the state it returned with
the results of the tool calls it asked for. It appends those results, calls the model once, and says what the loop
does next (`status`): run the tool calls in `pending`, ask again for a valid answer (`repair`), stop at the turn
limit (`max_turns`) or finish (`final`, with the node's output in `result`).

Only the tools compiled into the node are ever run: a call to any other name is answered with an error result and
never dispatched, so a tool result that tells the model to call something else adds nothing.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any, cast

from shared.agents.config import AgentConfig, ToolOutcome, TurnEvent
from shared.agents.conversation import (
    MAX_PARALLEL_TOOL_CALLS,
    pack,
    result_block,
    unpack,
)
from shared.agents.errors import AgentInvalidOutput, AgentProviderError, AgentQuotaExceeded, node_error
from shared.agents.providers.contract import (
    ContentBlock,
    Guardrail,
    Message,
    ModelProvider,
    ModelTurnRequest,
    ProviderCall,
    ProviderFailure,
    ToolSpec,
    ToolUse,
)
from shared.agents.providers.registry import ProviderName, provider
from shared.store.context import TenantContext
from shared.tenancy.tenant_settings import tenant_allowed_hosts

# One repair turn: the model is told why its answer failed the schema, once; then the node fails.
MAX_REPAIRS = 1
_FENCED = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.S)

CredentialHeaders = Callable[[TenantContext, str], "dict[str, str] | None"]


def _credential_headers(tenant: TenantContext, name: str) -> dict[str, str] | None:
    from shared.credentials.secrets import credential_headers

    return credential_headers(tenant, name)


def _provider(name: ProviderName) -> ModelProvider:
    try:
        return provider(name)
    except ImportError:
        raise AgentProviderError(f"the {name} provider is not available in this deployment") from None


def run_turn(
    event: TurnEvent,
    find_provider: Callable[[ProviderName], ModelProvider] = _provider,
    credentials: CredentialHeaders = _credential_headers,
) -> dict[str, Any]:
    tenant = TenantContext(event.tenant_id)
    config = event.agent
    state = dict(event.state)
    if "turns" not in state:
        state = _begin(tenant, config, state)
        messages = _first_messages(tenant, config, state)
    else:
        messages = unpack(tenant, state["conversation"])
        if state.get("status") == "tool_calls":
            messages.append(_results_message(state))
    call = _provider_call(tenant, config, credentials)
    request = ModelTurnRequest(
        model_id=config.model.model_id,
        messages=list(messages),
        system=state.get("system") or None,
        tools=cast(list[ToolSpec], config.tools),
        max_tokens=config.max_tokens,
        temperature=config.temperature,
        output_schema=config.output_schema,
    )
    _ensure_tokens_left(tenant)
    started = time.monotonic()
    try:
        turn = find_provider(config.model.provider).converse(request, call)
    except ProviderFailure as failure:
        raise node_error(failure) from None
    latency_ms = int((time.monotonic() - started) * 1000)
    _record_tokens(tenant, event, turn.usage["input_tokens"], turn.usage["output_tokens"])
    messages.append(turn.message)
    state["turns"] += 1
    state["usage"] = {
        "input_tokens": state["usage"]["input_tokens"] + turn.usage["input_tokens"],
        "output_tokens": state["usage"]["output_tokens"] + turn.usage["output_tokens"],
    }
    uses = turn.tool_uses
    # What the execution history shows of this turn.
    state["turn"] = {
        "number": state["turns"],
        "model": config.model.model_id,
        "input_tokens": turn.usage["input_tokens"],
        "output_tokens": turn.usage["output_tokens"],
        "latency_ms": latency_ms,
        "stop_reason": turn.stop_reason,
        "asked_for": [use["name"] for use in uses],
    }
    state["pending"], state["refused"] = [], []
    state["asked"] = [use["toolUseId"] for use in uses]
    if uses:
        if state["turns"] >= config.max_turns:
            state["status"] = "max_turns"
        else:
            state["status"] = "tool_calls"
            state["pending"], state["refused"] = _dispatchable(config, uses)
    else:
        _finish(tenant, config, state, messages, turn.text)
    state["conversation"] = (
        [] if state["status"] == "final" else pack(tenant, event.execution_id, event.node_id, messages)
    )
    return state


def _ensure_tokens_left(tenant: TenantContext) -> None:
    from shared.tenancy.quotas import AgentTokensQuotaExceeded, ensure_agent_tokens_left

    try:
        ensure_agent_tokens_left(tenant)
    except AgentTokensQuotaExceeded as exceeded:
        raise AgentQuotaExceeded(str(exceeded)) from None


def _record_tokens(tenant: TenantContext, event: TurnEvent, input_tokens: int, output_tokens: int) -> None:
    from shared.executions.agent_usage import add_agent_tokens

    add_agent_tokens(tenant, event.execution_id, event.workflow_id, input_tokens, output_tokens)


def _begin(tenant: TenantContext, config: AgentConfig, begin: dict[str, Any]) -> dict[str, Any]:
    prompt = begin.get("prompt")
    text = prompt if isinstance(prompt, str) else json.dumps(prompt)
    system = begin.get("system")
    key = begin.get("conversation_key")
    return {
        "prompt": text,
        "system": system if isinstance(system, str) else (json.dumps(system) if system is not None else None),
        "conversation_key": str(key) if key not in (None, "") and config.memory_window else None,
        "turns": 0,
        "repairs": 0,
        "usage": {"input_tokens": 0, "output_tokens": 0},
        "tool_calls": [],
        "status": "start",
    }


def _first_messages(tenant: TenantContext, config: AgentConfig, state: dict[str, Any]) -> list[Message]:
    messages: list[Message] = []
    if state["conversation_key"] and config.memory_window:
        from shared.agents.memory import as_messages, load_exchanges

        messages += as_messages(load_exchanges(tenant, state["conversation_key"]), config.memory_window)
    messages.append({"role": "user", "content": [{"text": state["prompt"]}]})
    return messages


def _dispatchable(config: AgentConfig, uses: list[ToolUse]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(the calls the compiled tool states run, the calls answered with an error here and never run)."""
    allowed = {tool["name"] for tool in config.tools}
    pending: list[dict[str, Any]] = []
    refused: list[dict[str, Any]] = []
    for use in uses:
        call = {"toolUseId": use["toolUseId"], "name": use["name"], "input": use.get("input") or {}}
        if use["name"] not in allowed:
            refused.append({**call, "reason": f"there is no tool named {use['name']!r}; the tools are the ones listed"})
        elif len(pending) >= MAX_PARALLEL_TOOL_CALLS:
            refused.append({**call, "reason": f"at most {MAX_PARALLEL_TOOL_CALLS} tool calls are run per turn"})
        elif not isinstance(call["input"], dict):
            refused.append({**call, "reason": "a tool's input must be a JSON object"})
        else:
            pending.append(call)
    return pending, refused


def _results_message(state: dict[str, Any]) -> Message:
    """The tool calls' results as data, never instructions: they can't change the tools, the limits or the tenant,
    which are compiled. node_http takes a tool credential's values out of a response before it comes back."""
    outcomes = [ToolOutcome.model_validate(item) for item in state.pop("tool_results", None) or []]
    arguments = {call["toolUseId"]: call["input"] for call in state.get("pending", [])}
    answered: list[tuple[str, ContentBlock, dict[str, Any]]] = []
    for outcome in outcomes:
        summary = {
            "turn": state["turns"],
            "name": outcome.name,
            "arguments": arguments.get(outcome.toolUseId),
            "status": outcome.status,
            "result_bytes": outcome.bytes,
        }
        block = result_block(outcome.toolUseId, outcome.status, outcome.result)
        answered.append((outcome.toolUseId, block, summary))
    for refused in state.get("refused", []):
        block = result_block(refused["toolUseId"], "error", {"error": refused["reason"]})
        summary = {"turn": state["turns"], "name": refused["name"], "arguments": refused["input"], "status": "refused"}
        answered.append((refused["toolUseId"], block, summary))
    # In the order the model asked, whichever ran and whichever was refused.
    order = {use_id: position for position, use_id in enumerate(state.get("asked", []))}
    answered.sort(key=lambda item: order.get(item[0], len(order)))
    state["tool_calls"] += [summary for _, _, summary in answered]
    blocks = [block for _, block, _ in answered]
    return {"role": "user", "content": blocks}


def _provider_call(tenant: TenantContext, config: AgentConfig, credentials: CredentialHeaders) -> ProviderCall:
    api_key = None
    if config.credential:
        headers = credentials(tenant, config.credential)
        if headers is None:
            raise AgentProviderError(f"the tenant has no credential named {config.credential!r}")
        api_key = _api_key(headers)
    guardrail = config.model.guardrail
    return ProviderCall(
        base_url=config.model.base_url,
        # Only a provider reached by URL reads them; Bedrock and SageMaker go through the function's role.
        allowed_hosts=tenant_allowed_hosts(tenant.tenant_id) if config.model.base_url else frozenset(),
        api_key=api_key,
        region=config.model.region,
        guardrail=Guardrail(guardrail.identifier, guardrail.version) if guardrail else None,
    )


def _api_key(headers: dict[str, str]) -> str | None:
    """A provider key from a credential's headers: `Authorization: Bearer <key>`, or an api-key header's value."""
    for name, value in headers.items():
        lowered = name.lower()
        if lowered == "authorization":
            return value.partition(" ")[2] or value
        if lowered in ("x-api-key", "api-key"):
            return value
    return next(iter(headers.values()), None)


def _finish(
    tenant: TenantContext, config: AgentConfig, state: dict[str, Any], messages: list[Message], text: str
) -> None:
    answer: Any = text
    if config.output_schema is not None:
        answer, reason = _checked(text, config.output_schema)
        if reason is not None:
            if state["repairs"] < MAX_REPAIRS and state["turns"] < config.max_turns:
                state["repairs"] += 1
                state["status"] = "repair"
                messages.append(
                    {
                        "role": "user",
                        "content": [
                            {
                                "text": f"Your answer is not valid: {reason}. Reply with only a JSON value that "
                                "matches the required JSON Schema, nothing else."
                            }
                        ],
                    }
                )
                return
            raise AgentInvalidOutput(f"the final answer does not match output_schema: {reason}")
    if state.get("conversation_key") and config.memory_window:
        stored = text if isinstance(answer, str) else json.dumps(answer)
        from shared.agents.memory import load_exchanges, save_exchange

        # Read again rather than carried through the loop: another execution may have added to it meanwhile.
        earlier = load_exchanges(tenant, state["conversation_key"])
        save_exchange(tenant, state["conversation_key"], config.memory_window, earlier, state["prompt"], stored)
    state["status"] = "final"
    state["result"] = {
        "answer": answer,
        "turns": state["turns"],
        "usage": state["usage"],
        "tool_calls": state["tool_calls"],
    }


def _checked(text: str, schema: dict[str, Any]) -> tuple[Any, str | None]:
    """(the answer parsed as JSON, why it fails the schema or None)."""
    import jsonschema_rs

    fenced = _FENCED.match(text)
    try:
        answer = json.loads(fenced.group(1) if fenced else text)
    except ValueError:
        return text, "it is not JSON"
    errors = [
        f"{error.message} at {'/' + '/'.join(map(str, error.instance_path))}"
        for error in jsonschema_rs.validator_for(schema).iter_errors(answer)
    ]
    return answer, ("; ".join(errors[:5]) if errors else None)
