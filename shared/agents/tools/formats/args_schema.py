"""Framework tools kept as Python objects whose JSON is `{"name", "description", "args_schema": <JSON Schema>}`
(LangChain's StructuredTool, CrewAI's BaseTool): any name, the input schema whole; the object's runtime settings
(return_direct, result_as_answer, ...) are read and reported as dropped."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict

from shared.agents.tools.canonical import CanonicalTool, Conversion, DroppedFeature, ToolFormat, canonical_tool
from shared.agents.tools.rules import canonical_document, only_mcp_features, parse_format

POINTERS = {"name": "/name", "description": "/description", "inputSchema": "/args_schema"}


class _ArgsSchemaTool(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str
    description: str = ""
    args_schema: dict[str, Any] | None = None


def args_schema_format(
    name: str, label: str, reference: str, own_description: Callable[[str], str] = str
) -> ToolFormat:
    """`own_description` takes the tool's own description out of what the framework made of it."""

    def read(document: dict[str, Any]) -> Conversion:
        source = parse_format(_ArgsSchemaTool, document)
        description = own_description(source.description)
        tool = canonical_tool(canonical_document(source.name, description, source.args_schema), POINTERS)
        dropped = [
            DroppedFeature("/" + key, f"a {label} runtime setting, not part of the tool's description")
            for key in source.model_extra or {}
        ]
        return Conversion(tool=tool, dropped=dropped)

    def write(tool: CanonicalTool) -> Conversion:
        written = {"name": tool.name, "description": tool.description or "", "args_schema": tool.input_schema}
        return Conversion(tool=written, dropped=only_mcp_features(tool, label))

    return ToolFormat(name=name, reference=reference, read=read, write=write, field_pointers=POINTERS)
