"""OpenAI Chat Completions (`POST {base}/chat/completions`), and the conversion both ways between Converse messages
and Chat messages that `openai_compatible` reuses.

Converse → Chat: a user message's tool results become `tool` messages (first, as Chat wants them right after the
assistant's `tool_calls`) and its text a `user` message; an assistant message's text is `content` and its tool
uses `tool_calls` (arguments as JSON text). Chat → Converse is the reverse, consecutive `tool`/`user` messages
joining one user message. Chat has no error flag and no JSON block for a tool's output: an error result's text is
sent prefixed "Error: ", a JSON block serialised, and both read back as successful text.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

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
from shared.agents.providers.transport import ContextTooLongRule, error_message, post_json, required_key

OPENAI_BASE_URL = "https://api.openai.com/v1"
OUTPUT_SCHEMA_NAME = "answer"


def chat_messages(system: str | None, messages: list[Message]) -> list[dict[str, Any]]:
    wire: list[dict[str, Any]] = [{"role": "system", "content": system}] if system else []
    for message in messages:
        if message["role"] == "assistant":
            wire.append(_assistant_message(message["content"]))
        else:
            wire.extend(_user_messages(message["content"]))
    return wire


def _text_content(texts: list[str]) -> str | list[dict[str, Any]]:
    return texts[0] if len(texts) == 1 else [{"type": "text", "text": text} for text in texts]


def _user_messages(content: list[ContentBlock]) -> list[dict[str, Any]]:
    wire: list[dict[str, Any]] = [
        {
            "role": "tool",
            "tool_call_id": block["toolResult"]["toolUseId"],
            "content": tool_output_with_status(block["toolResult"]),
        }
        for block in content
        if "toolResult" in block
    ]
    texts = [block["text"] for block in content if "text" in block]
    if texts:
        wire.append({"role": "user", "content": _text_content(texts)})
    return wire


def _assistant_message(content: list[ContentBlock]) -> dict[str, Any]:
    texts = [block["text"] for block in content if "text" in block]
    wire: dict[str, Any] = {"role": "assistant", "content": _text_content(texts) if texts else None}
    tool_calls = [
        {
            "id": block["toolUse"]["toolUseId"],
            "type": "function",
            "function": {"name": block["toolUse"]["name"], "arguments": json_text(block["toolUse"]["input"])},
        }
        for block in content
        if "toolUse" in block
    ]
    if tool_calls:
        wire["tool_calls"] = tool_calls
    return wire


def json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def converse_messages(provider: str, wire: list[dict[str, Any]]) -> tuple[str | None, list[Message]]:
    """Chat messages as the system prompt and Converse messages."""
    system: list[str] = []
    messages: list[Message] = []
    for item in wire:
        role = item.get("role")
        if role in ("system", "developer"):
            system.extend(_texts(item.get("content")))
        elif role == "assistant":
            messages.append(assistant_message(provider, item))
        else:
            blocks = _user_blocks(item)
            if messages and messages[-1]["role"] == "user":
                messages[-1]["content"].extend(blocks)
            else:
                messages.append({"role": "user", "content": blocks})
    return ("\n".join(system) if system else None), messages


def _user_blocks(item: dict[str, Any]) -> list[ContentBlock]:
    if item.get("role") != "tool":
        return [{"text": text} for text in _texts(item.get("content"))]
    result: ContentBlock = {
        "toolResult": {
            "toolUseId": str(item.get("tool_call_id", "")),
            "content": [{"text": "".join(_texts(item.get("content")))}],
            "status": "success",
        }
    }
    return [result]


def _texts(content: Any) -> list[str]:
    if isinstance(content, str):
        return [content] if content else []
    if isinstance(content, list):
        return [str(part.get("text", "")) for part in content if isinstance(part, dict) and part.get("type") == "text"]
    return []


def assistant_message(provider: str, item: dict[str, Any]) -> Message:
    content: list[ContentBlock] = [{"text": text} for text in _texts(item.get("content"))]
    if not content and isinstance(item.get("refusal"), str):
        content.append({"text": item["refusal"]})
    for call in item.get("tool_calls") or []:
        function = call.get("function") or {}
        name = str(function.get("name", ""))
        arguments = function.get("arguments")
        content.append(
            {
                "toolUse": {
                    # Some compatible servers leave the id out; the loop pairs each result with its call by id.
                    "toolUseId": str(call.get("id") or f"call_{uuid.uuid4().hex[:24]}"),
                    "name": name,
                    "input": tool_arguments(provider, name, arguments if isinstance(arguments, str) else ""),
                }
            }
        )
    return {"role": "assistant", "content": content or [{"text": ""}]}


def chat_tools(tools: list[ToolSpec]) -> list[dict[str, Any]]:
    return [
        {
            "type": "function",
            "function": {"name": tool["name"], "description": tool["description"], "parameters": tool["inputSchema"]},
        }
        for tool in tools
    ]


def chat_request(request: ModelTurnRequest, max_tokens_field: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": request.model_id,
        "messages": chat_messages(request.system, request.messages),
        max_tokens_field: request.max_tokens,
    }
    if request.tools:
        body["tools"] = chat_tools(request.tools)
    if request.temperature is not None:
        body["temperature"] = request.temperature
    if request.output_schema is not None:
        body["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": OUTPUT_SCHEMA_NAME, "schema": request.output_schema},
        }
    return body


def chat_model_turn(provider: str, answer: dict[str, Any]) -> ModelTurn:
    choices = answer.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0].get("message"), dict):
        raise ProviderError(f"{provider} answered without a choice", provider=provider)
    message = assistant_message(provider, choices[0]["message"])
    usage = answer.get("usage") or {}
    stop_reason: StopReason = "end_turn"
    if any("toolUse" in block for block in message["content"]):
        stop_reason = "tool_use"
    elif choices[0].get("finish_reason") == "length":
        stop_reason = "max_tokens"
    return ModelTurn(
        message=message,
        stop_reason=stop_reason,
        usage={
            "input_tokens": int(usage.get("prompt_tokens") or 0),
            "output_tokens": int(usage.get("completion_tokens") or 0),
        },
    )


def openai_context_too_long(status: int, body: Any) -> bool:
    """OpenAI's documented error code for a conversation longer than the model's context window."""
    error = body.get("error") if isinstance(body, dict) else None
    return status == 400 and isinstance(error, dict) and error.get("code") == "context_length_exceeded"


_CONTEXT_WORDS = re.compile(r"context length|context window|context size|maximum context", re.IGNORECASE)


def compatible_context_too_long(status: int, body: Any) -> bool:
    """OpenAI's code, llama.cpp server's `exceed_context_size_error`, or vLLM's and others' words for it."""
    if openai_context_too_long(status, body):
        return True
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and error.get("type") == "exceed_context_size_error":
        return True
    return status in (400, 413) and bool(_CONTEXT_WORDS.search(error_message(body)))


@dataclass
class ChatCompletionsProvider:
    """A Chat Completions endpoint: OpenAI's own, or any server that speaks it (`openai_compatible`)."""

    name: str
    default_base_url: str | None
    # OpenAI's current name for the output limit; the compatible servers (Ollama, vLLM, llama.cpp) read max_tokens.
    max_tokens_field: str
    context_too_long: ContextTooLongRule
    key_required: bool

    def converse(self, request: ModelTurnRequest, call: ProviderCall) -> ModelTurn:
        base_url = call.base_url or self.default_base_url
        if base_url is None:
            raise ProviderError(
                f"{self.name} needs a base URL (the server's OpenAI-compatible API, such as .../v1)", provider=self.name
            )
        key = required_key(self.name, call) if self.key_required else call.api_key
        headers = {"authorization": f"Bearer {key}"} if key else {}
        answer = post_json(
            self.name,
            f"{base_url.rstrip('/')}/chat/completions",
            chat_request(request, self.max_tokens_field),
            call,
            headers=headers,
            context_too_long=self.context_too_long,
        )
        return chat_model_turn(self.name, answer)


PROVIDER = ChatCompletionsProvider(
    name="openai_chat",
    default_base_url=OPENAI_BASE_URL,
    max_tokens_field="max_completion_tokens",
    context_too_long=openai_context_too_long,
    key_required=True,
)
