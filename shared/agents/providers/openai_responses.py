"""OpenAI's Responses API (`POST {base}/responses`, not stored: the conversation travels in every request).

Converse → Responses input items, block by block in order: a text block is a `message` item of the message's role,
a tool use a `function_call` (arguments as JSON text), a tool result a `function_call_output`. Responses → Converse
groups consecutive items into messages by role (`function_call` with the assistant's, `function_call_output` with
the user's). Output items without a Converse block (reasoning) are not kept. As in Chat Completions, a tool output
has no error flag or JSON form: an error result's text is prefixed "Error: ", a JSON block serialised.
"""

from __future__ import annotations

from typing import Any, Literal

from shared.agents.providers.contract import (
    ContentBlock,
    Message,
    ModelTurn,
    ModelTurnRequest,
    ProviderCall,
    ProviderError,
    StopReason,
    ToolSpec,
)
from shared.agents.providers.converse_blocks import tool_arguments, tool_output_with_status
from shared.agents.providers.openai_chat import OPENAI_BASE_URL, OUTPUT_SCHEMA_NAME, json_text, openai_context_too_long
from shared.agents.providers.transport import post_json, required_key

NAME = "openai_responses"


def input_items(messages: list[Message]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for message in messages:
        for block in message["content"]:
            if "text" in block:
                items.append({"role": message["role"], "content": block["text"]})
            elif "toolUse" in block:
                tool_use = block["toolUse"]
                items.append(
                    {
                        "type": "function_call",
                        "call_id": tool_use["toolUseId"],
                        "name": tool_use["name"],
                        "arguments": json_text(tool_use["input"]),
                    }
                )
            elif "toolResult" in block:
                result = block["toolResult"]
                items.append(
                    {
                        "type": "function_call_output",
                        "call_id": result["toolUseId"],
                        "output": tool_output_with_status(result),
                    }
                )
    return items


def converse_messages(provider: str, items: list[dict[str, Any]]) -> list[Message]:
    """Input or output items as Converse messages."""
    messages: list[Message] = []
    for item in items:
        placed = _block(provider, item)
        if placed is None:
            continue
        role, blocks = placed
        if messages and messages[-1]["role"] == role:
            messages[-1]["content"].extend(blocks)
        else:
            messages.append({"role": role, "content": blocks})
    return messages


def _block(provider: str, item: dict[str, Any]) -> tuple[Literal["user", "assistant"], list[ContentBlock]] | None:
    kind = item.get("type", "message")
    if kind == "function_call":
        name = str(item.get("name", ""))
        arguments = item.get("arguments")
        tool_use: ContentBlock = {
            "toolUse": {
                "toolUseId": str(item.get("call_id", "")),
                "name": name,
                "input": tool_arguments(provider, name, arguments if isinstance(arguments, str) else ""),
            }
        }
        return "assistant", [tool_use]
    if kind == "function_call_output":
        output = item.get("output")
        result: ContentBlock = {
            "toolResult": {
                "toolUseId": str(item.get("call_id", "")),
                "content": [{"text": output if isinstance(output, str) else json_text(output)}],
                "status": "success",
            }
        }
        return "user", [result]
    if kind == "message" and item.get("role") in ("user", "assistant"):
        role: Literal["user", "assistant"] = "assistant" if item["role"] == "assistant" else "user"
        return role, [{"text": text} for text in _texts(item.get("content"))]
    return None


def _texts(content: Any) -> list[str]:
    if isinstance(content, str):
        return [content]
    if not isinstance(content, list):
        return []
    texts: list[str] = []
    for part in content:
        if isinstance(part, dict) and part.get("type") in ("output_text", "input_text"):
            texts.append(str(part.get("text", "")))
        elif isinstance(part, dict) and part.get("type") == "refusal":
            texts.append(str(part.get("refusal", "")))
    return texts


def responses_tools(tools: list[ToolSpec]) -> list[dict[str, Any]]:
    # `strict` is required by the API; strict mode would also require every property and forbid any other.
    return [
        {
            "type": "function",
            "name": tool["name"],
            "description": tool["description"],
            "parameters": tool["inputSchema"],
            "strict": False,
        }
        for tool in tools
    ]


def responses_request(request: ModelTurnRequest) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": request.model_id,
        "input": input_items(request.messages),
        "max_output_tokens": request.max_tokens,
        "store": False,
    }
    if request.system:
        body["instructions"] = request.system
    if request.tools:
        body["tools"] = responses_tools(request.tools)
    if request.temperature is not None:
        body["temperature"] = request.temperature
    if request.output_schema is not None:
        body["text"] = {
            "format": {
                "type": "json_schema",
                "name": OUTPUT_SCHEMA_NAME,
                "schema": request.output_schema,
                "strict": False,
            }
        }
    return body


def responses_model_turn(answer: dict[str, Any]) -> ModelTurn:
    output = answer.get("output")
    if not isinstance(output, list):
        raise ProviderError(f"{NAME} answered without output items", provider=NAME)
    found = converse_messages(NAME, [item for item in output if isinstance(item, dict)])
    content: list[ContentBlock] = [
        block for message in found if message["role"] == "assistant" for block in message["content"]
    ]
    stop_reason: StopReason = "end_turn"
    if any("toolUse" in block for block in content):
        stop_reason = "tool_use"
    elif (
        answer.get("status") == "incomplete"
        and (answer.get("incomplete_details") or {}).get("reason") == "max_output_tokens"
    ):
        stop_reason = "max_tokens"
    usage = answer.get("usage") or {}
    return ModelTurn(
        message={"role": "assistant", "content": content or [{"text": ""}]},
        stop_reason=stop_reason,
        usage={
            "input_tokens": int(usage.get("input_tokens") or 0),
            "output_tokens": int(usage.get("output_tokens") or 0),
        },
    )


class ResponsesProvider:
    name = NAME

    def converse(self, request: ModelTurnRequest, call: ProviderCall) -> ModelTurn:
        key = required_key(NAME, call)
        answer = post_json(
            NAME,
            f"{(call.base_url or OPENAI_BASE_URL).rstrip('/')}/responses",
            responses_request(request),
            call,
            headers={"authorization": f"Bearer {key}"},
            context_too_long=openai_context_too_long,
        )
        return responses_model_turn(answer)


PROVIDER = ResponsesProvider()
