"""OpenAI's function tools: Chat Completions (`{"type": "function", "function": {...}}`) and the Responses API
(`{"type": "function", "name", ...}`)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from shared.agents.tools.canonical import CanonicalTool, Conversion, ToolFormat, canonical_tool
from shared.agents.tools.rules import (
    canonical_document,
    only_mcp_features,
    parse_format,
    provider_tool_fields,
    strict_dropped,
)


class _Function(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


class _ChatTool(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["function"]
    function: _Function


class _ResponsesTool(_Function):
    type: Literal["function"]


CHAT_POINTERS = {
    "name": "/function/name",
    "description": "/function/description",
    "inputSchema": "/function/parameters",
}
RESPONSES_POINTERS = {"name": "/name", "description": "/description", "inputSchema": "/parameters"}


def read_chat(document: dict[str, Any]) -> Conversion:
    function = parse_format(_ChatTool, document).function
    tool = canonical_tool(canonical_document(function.name, function.description, function.parameters), CHAT_POINTERS)
    return Conversion(tool=tool, dropped=strict_dropped(function.strict, "/function/strict"))


def write_chat(tool: CanonicalTool) -> Conversion:
    label = "OpenAI Chat Completions"
    written = {"type": "function", "function": provider_tool_fields(tool, label, "parameters", tool.input_schema)}
    return Conversion(tool=written, dropped=only_mcp_features(tool, label))


def read_responses(document: dict[str, Any]) -> Conversion:
    function = parse_format(_ResponsesTool, document)
    tool = canonical_tool(
        canonical_document(function.name, function.description, function.parameters), RESPONSES_POINTERS
    )
    return Conversion(tool=tool, dropped=strict_dropped(function.strict, "/strict"))


def write_responses(tool: CanonicalTool) -> Conversion:
    label = "OpenAI Responses"
    # The Responses API requires `strict`; strict mode would also require every property and no extra ones.
    written = {
        "type": "function",
        **provider_tool_fields(tool, label, "parameters", tool.input_schema),
        "strict": False,
    }
    return Conversion(tool=written, dropped=only_mcp_features(tool, label))


OPENAI_CHAT = ToolFormat(
    name="openai_chat",
    reference="platform.openai.com/docs/api-reference/chat/create#chat-create-tools",
    read=read_chat,
    write=write_chat,
    field_pointers=CHAT_POINTERS,
)
OPENAI_RESPONSES = ToolFormat(
    name="openai_responses",
    reference="platform.openai.com/docs/api-reference/responses/create#responses-create-tools (function tool)",
    read=read_responses,
    write=write_responses,
    field_pointers=RESPONSES_POINTERS,
)
