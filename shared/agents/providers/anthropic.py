"""Anthropic's Messages API (`POST {base}/v1/messages`, `x-api-key`, `anthropic-version: 2023-06-01`).

Its content blocks map one to one and in order onto Converse's: `text`, `tool_use` (id, name, input object) and
`tool_result` (tool_use_id, text blocks, `is_error`). A JSON block of a tool result is sent as its serialised text,
the one thing that does not read back as it was. Blocks Converse has no place for (thinking) are not kept.
An output schema goes as `output_config.format` (JSON outputs, constrained decoding).
"""

from __future__ import annotations

import json
from typing import Any

from shared.agents.providers.contract import (
    ContentBlock,
    Message,
    ModelTurn,
    ModelTurnRequest,
    ProviderCall,
    ProviderError,
    StopReason,
    ToolResultContent,
    ToolSpec,
)
from shared.agents.providers.transport import error_message, post_json, required_key

NAME = "anthropic"
ANTHROPIC_BASE_URL = "https://api.anthropic.com"
API_VERSION = "2023-06-01"
# 529 is Anthropic's `overloaded_error`: like a 429, the same request later succeeds.
THROTTLED_STATUSES = frozenset({429, 529})


def anthropic_messages(messages: list[Message]) -> list[dict[str, Any]]:
    return [
        {"role": message["role"], "content": [_block(block) for block in message["content"]]} for message in messages
    ]


def _block(block: ContentBlock) -> dict[str, Any]:
    if "toolUse" in block:
        tool_use = block["toolUse"]
        return {"type": "tool_use", "id": tool_use["toolUseId"], "name": tool_use["name"], "input": tool_use["input"]}
    if "toolResult" in block:
        result = block["toolResult"]
        wire: dict[str, Any] = {
            "type": "tool_result",
            "tool_use_id": result["toolUseId"],
            "content": [{"type": "text", "text": _text(part)} for part in result["content"]],
        }
        if result["status"] == "error":
            wire["is_error"] = True
        return wire
    return {"type": "text", "text": block.get("text", "")}


def _text(part: ToolResultContent) -> str:
    return part["text"] if "text" in part else json.dumps(part.get("json"), ensure_ascii=False)


def converse_messages(messages: list[dict[str, Any]]) -> list[Message]:
    return [
        {
            "role": "assistant" if message.get("role") == "assistant" else "user",
            "content": converse_blocks(message.get("content")),
        }
        for message in messages
    ]


def converse_blocks(content: Any) -> list[ContentBlock]:
    if isinstance(content, str):
        return [{"text": content}]
    blocks: list[ContentBlock] = []
    for block in content if isinstance(content, list) else []:
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "text":
            blocks.append({"text": str(block.get("text", ""))})
        elif kind == "tool_use":
            tool_input = block.get("input")
            blocks.append(
                {
                    "toolUse": {
                        "toolUseId": str(block.get("id", "")),
                        "name": str(block.get("name", "")),
                        "input": tool_input if isinstance(tool_input, dict) else {},
                    }
                }
            )
        elif kind == "tool_result":
            blocks.append(
                {
                    "toolResult": {
                        "toolUseId": str(block.get("tool_use_id", "")),
                        "content": [{"text": text} for text in _result_texts(block.get("content"))],
                        "status": "error" if block.get("is_error") else "success",
                    }
                }
            )
    return blocks


def _result_texts(content: Any) -> list[str]:
    if isinstance(content, str):
        return [content]
    if isinstance(content, list):
        return [str(part.get("text", "")) for part in content if isinstance(part, dict) and part.get("type") == "text"]
    return []


def anthropic_tools(tools: list[ToolSpec]) -> list[dict[str, Any]]:
    return [
        {"name": tool["name"], "description": tool["description"], "input_schema": tool["inputSchema"]}
        for tool in tools
    ]


def anthropic_request(request: ModelTurnRequest) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": request.model_id,
        "max_tokens": request.max_tokens,
        "messages": anthropic_messages(request.messages),
    }
    if request.system:
        body["system"] = request.system
    if request.tools:
        body["tools"] = anthropic_tools(request.tools)
    if request.temperature is not None:
        body["temperature"] = request.temperature
    if request.output_schema is not None:
        body["output_config"] = {"format": {"type": "json_schema", "schema": request.output_schema}}
    return body


_STOP_REASONS: dict[str, StopReason] = {
    "tool_use": "tool_use",
    "max_tokens": "max_tokens",
    # The model's context window ran out while it answered: the answer is cut as by max_tokens.
    "model_context_window_exceeded": "max_tokens",
}


def anthropic_model_turn(answer: dict[str, Any]) -> ModelTurn:
    if not isinstance(answer.get("content"), list):
        raise ProviderError(f"{NAME} answered without content", provider=NAME)
    content = converse_blocks(answer["content"])
    usage = answer.get("usage") or {}
    input_tokens = sum(
        int(usage.get(field) or 0)
        for field in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
    )
    return ModelTurn(
        message={"role": "assistant", "content": content or [{"text": ""}]},
        stop_reason=_STOP_REASONS.get(str(answer.get("stop_reason")), "end_turn"),
        usage={"input_tokens": input_tokens, "output_tokens": int(usage.get("output_tokens") or 0)},
    )


def anthropic_context_too_long(status: int, body: Any) -> bool:
    """413 `request_too_large`, or the 400 whose message says the prompt (with max_tokens) exceeds the context."""
    if status == 413:
        return True
    message = error_message(body).lower()
    return status == 400 and ("prompt is too long" in message or "exceed context limit" in message)


class AnthropicProvider:
    name = NAME

    def converse(self, request: ModelTurnRequest, call: ProviderCall) -> ModelTurn:
        key = required_key(NAME, call)
        answer = post_json(
            NAME,
            f"{(call.base_url or ANTHROPIC_BASE_URL).rstrip('/')}/v1/messages",
            anthropic_request(request),
            call,
            headers={"x-api-key": key, "anthropic-version": API_VERSION},
            context_too_long=anthropic_context_too_long,
            throttled_statuses=THROTTLED_STATUSES,
        )
        return anthropic_model_turn(answer)


PROVIDER = AnthropicProvider()
