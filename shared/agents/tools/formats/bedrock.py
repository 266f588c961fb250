"""Amazon Bedrock Converse tools: `{"toolSpec": {"name", "description", "inputSchema": {"json": ...}}}`."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared.agents.tools.canonical import CanonicalTool, Conversion, ToolFormat, canonical_tool
from shared.agents.tools.rules import (
    canonical_document,
    only_mcp_features,
    parse_format,
    provider_tool_fields,
    strict_dropped,
)

FORMAT_LABEL = "Bedrock Converse"
POINTERS = {
    "name": "/toolSpec/name",
    "description": "/toolSpec/description",
    "inputSchema": "/toolSpec/inputSchema/json",
}


class _InputSchema(BaseModel):
    model_config = ConfigDict(extra="forbid")

    json_schema: dict[str, Any] = Field(alias="json")


class _ToolSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    description: str | None = None
    input_schema: _InputSchema = Field(alias="inputSchema")
    strict: bool | None = None


class _BedrockTool(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tool_spec: _ToolSpec = Field(alias="toolSpec")


def read(document: dict[str, Any]) -> Conversion:
    spec = parse_format(_BedrockTool, document).tool_spec
    tool = canonical_tool(canonical_document(spec.name, spec.description, spec.input_schema.json_schema), POINTERS)
    return Conversion(tool=tool, dropped=strict_dropped(spec.strict, "/toolSpec/strict"))


def write(tool: CanonicalTool) -> Conversion:
    spec = provider_tool_fields(tool, FORMAT_LABEL, "inputSchema", {"json": tool.input_schema})
    return Conversion(tool={"toolSpec": spec}, dropped=only_mcp_features(tool, FORMAT_LABEL))


BEDROCK = ToolFormat(
    name="bedrock",
    reference="docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ToolSpecification.html",
    read=read,
    write=write,
    field_pointers=POINTERS,
)
