"""AutoGen's tool schema (autogen_core.tools.ToolSchema): `{"name", "description", "parameters": {"type",
"properties", "required", "additionalProperties"}, "strict"}`."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from shared.agents.tools.canonical import CanonicalTool, Conversion, ToolFormat, canonical_tool, json_pointer
from shared.agents.tools.rules import (
    ANNOTATION_KEYWORDS,
    canonical_document,
    only_mcp_features,
    parse_format,
    refuse_unless,
    strict_dropped,
    top_level_keywords,
)
from shared.problems import InvalidParam

FORMAT_LABEL = "AutoGen"
POINTERS = {"name": "/name", "description": "/description", "inputSchema": "/parameters"}
# ParametersSchema, a TypedDict: FunctionTool dereferences `$defs` before it builds one.
HELD_KEYWORDS = frozenset({"type", "properties", "required", "additionalProperties"})


class _ParametersSchema(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str
    properties: dict[str, Any]
    required: list[str] | None = None
    additionalProperties: bool | None = None  # AutoGen's own (camelCase) key


class _ToolSchema(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    description: str | None = None
    parameters: _ParametersSchema | None = None
    strict: bool | None = None


def read(document: dict[str, Any]) -> Conversion:
    source = parse_format(_ToolSchema, document)
    parameters = None if source.parameters is None else source.parameters.model_dump(exclude_none=True)
    tool = canonical_tool(canonical_document(source.name, source.description, parameters), POINTERS)
    return Conversion(tool=tool, dropped=strict_dropped(source.strict, "/strict"))


def write(tool: CanonicalTool) -> Conversion:
    parameters, dropped, refused = top_level_keywords(
        tool.input_schema, HELD_KEYWORDS, ANNOTATION_KEYWORDS, FORMAT_LABEL
    )
    if not isinstance(parameters.get("additionalProperties", False), bool):
        pointer = json_pointer("inputSchema", "additionalProperties")
        refused.append(InvalidParam(name=pointer, reason=f"{FORMAT_LABEL} holds only a boolean here"))
    refuse_unless(refused)
    parameters.setdefault("properties", {})
    written: dict[str, Any] = {"name": tool.name}
    if tool.description is not None:
        written["description"] = tool.description
    written["parameters"] = parameters
    return Conversion(tool=written, dropped=only_mcp_features(tool, FORMAT_LABEL) + dropped)


AUTOGEN = ToolFormat(
    name="autogen",
    reference="microsoft.github.io/autogen/stable/reference/python/autogen_core.tools.html#autogen_core.tools.ToolSchema",
    read=read,
    write=write,
    field_pointers=POINTERS,
)
