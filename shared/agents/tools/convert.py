"""Converts a tool description between formats, through the canonical (MCP) shape."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared.agents.tools.canonical import (
    CanonicalTool,
    DroppedFeature,
    ToolConversionError,
    ToolFormat,
    ToolNotRepresentable,
    source_pointer,
)
from shared.agents.tools.format_names import ToolFormatName
from shared.agents.tools.formats.anthropic import ANTHROPIC
from shared.agents.tools.formats.autogen import AUTOGEN
from shared.agents.tools.formats.bedrock import BEDROCK
from shared.agents.tools.formats.crewai import CREWAI
from shared.agents.tools.formats.langchain import LANGCHAIN
from shared.agents.tools.formats.mcp import MCP
from shared.agents.tools.formats.openai import OPENAI_CHAT, OPENAI_RESPONSES
from shared.agents.tools.formats.semantic_kernel import SEMANTIC_KERNEL

TOOL_FORMATS: dict[ToolFormatName, ToolFormat] = {
    ToolFormatName(tool_format.name): tool_format
    for tool_format in (
        MCP,
        OPENAI_CHAT,
        OPENAI_RESPONSES,
        ANTHROPIC,
        BEDROCK,
        LANGCHAIN,
        AUTOGEN,
        CREWAI,
        SEMANTIC_KERNEL,
    )
}


@dataclass(frozen=True)
class ConvertedTool:
    tool: dict[str, Any]
    # What the source held that the target cannot, each at its pointer in the source tool.
    dropped: list[DroppedFeature]


def read_tool(document: dict[str, Any], source: ToolFormatName) -> tuple[CanonicalTool, list[DroppedFeature]]:
    conversion = TOOL_FORMATS[source].read(document)
    assert isinstance(conversion.tool, CanonicalTool)
    return conversion.tool, conversion.dropped


def write_tool(tool: CanonicalTool, target: ToolFormatName) -> tuple[dict[str, Any], list[DroppedFeature]]:
    conversion = TOOL_FORMATS[target].write(tool)
    assert isinstance(conversion.tool, dict)
    return conversion.tool, conversion.dropped


def convert_tool(document: dict[str, Any], source: ToolFormatName, target: ToolFormatName) -> ConvertedTool:
    """Raises ToolDocumentInvalid (not a `source` tool) or ToolNotRepresentable, naming fields in the source tool."""
    canonical, dropped_reading = read_tool(document, source)
    pointers = TOOL_FORMATS[source].field_pointers
    try:
        converted, dropped_writing = write_tool(canonical, target)
    except ToolNotRepresentable as refusal:
        located = [
            param.model_copy(update={"name": source_pointer(param.name, pointers)}) for param in refusal.invalid_params
        ]
        raise ToolNotRepresentable(located, "; ".join(f"{param.name}: {param.reason}" for param in located)) from None
    dropped = dropped_reading + [
        DroppedFeature(source_pointer(feature.pointer, pointers), feature.reason) for feature in dropped_writing
    ]
    return ConvertedTool(tool=converted, dropped=dropped)


class ToolConversionRequest(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    source: ToolFormatName = Field(alias="from", description="The format `tool` is in")
    target: ToolFormatName = Field(alias="to", description="The format to convert it to")
    tool: dict[str, Any] = Field(description="One tool description in the `from` format")


class DroppedToolFeature(BaseModel):
    pointer: str = Field(description="JSON pointer into the tool that was sent")
    reason: str


class ToolConversionResult(BaseModel):
    format: ToolFormatName
    tool: dict[str, Any] = Field(description="The tool in the `to` format")
    dropped: list[DroppedToolFeature] = Field(
        description="What the `from` tool held that the `to` format cannot, and was left out (docs/tools.md)"
    )


REQUEST_TOOL_POINTER = "/body/tool"


def convert_tool_request(request: ToolConversionRequest) -> ToolConversionResult:
    """A 422 names the fields of the request's tool (`/body/tool/...`) that are invalid or cannot be represented."""
    try:
        converted = convert_tool(request.tool, request.source, request.target)
    except ToolConversionError as error:
        raise error.under(REQUEST_TOOL_POINTER) from None
    dropped = [DroppedToolFeature(pointer=feature.pointer, reason=feature.reason) for feature in converted.dropped]
    return ToolConversionResult(format=request.target, tool=converted.tool, dropped=dropped)
