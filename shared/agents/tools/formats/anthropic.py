"""Anthropic Messages API custom tools: `{"name", "description", "input_schema"}`."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from shared.agents.tools.canonical import CanonicalTool, Conversion, DroppedFeature, ToolFormat, canonical_tool
from shared.agents.tools.rules import (
    canonical_document,
    only_mcp_features,
    parse_format,
    provider_tool_fields,
    strict_dropped,
)

FORMAT_LABEL = "Anthropic Messages"
POINTERS = {"name": "/name", "description": "/description", "inputSchema": "/input_schema"}


class _AnthropicTool(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["custom"] | None = None
    name: str
    description: str | None = None
    input_schema: dict[str, Any]
    cache_control: dict[str, Any] | None = None
    strict: bool | None = None


def read(document: dict[str, Any]) -> Conversion:
    source = parse_format(_AnthropicTool, document)
    tool = canonical_tool(canonical_document(source.name, source.description, source.input_schema), POINTERS)
    dropped = strict_dropped(source.strict, "/strict")
    if source.cache_control is not None:
        dropped.append(DroppedFeature("/cache_control", "prompt caching belongs to a request, not to the tool"))
    return Conversion(tool=tool, dropped=dropped)


def write(tool: CanonicalTool) -> Conversion:
    written = provider_tool_fields(tool, FORMAT_LABEL, "input_schema", tool.input_schema)
    return Conversion(tool=written, dropped=only_mcp_features(tool, FORMAT_LABEL))


ANTHROPIC = ToolFormat(
    name="anthropic",
    reference="docs.anthropic.com/en/api/messages#body-tools (custom tool)",
    read=read,
    write=write,
    field_pointers=POINTERS,
)
