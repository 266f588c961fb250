"""LangChain's StructuredTool as JSON: `{"name", "description", "args_schema": <JSON Schema>}`.

`args_schema` may be a JSON Schema dict (langchain-core ≥ 0.3); `convert_to_openai_tool` of such a tool gives the
OpenAI Chat Completions shape (`openai_chat`), with the schema's titles removed.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from shared.agents.tools.canonical import CanonicalTool, Conversion, DroppedFeature, ToolFormat, canonical_tool
from shared.agents.tools.rules import canonical_document, only_mcp_features, parse_format

FORMAT_LABEL = "LangChain"
POINTERS = {"name": "/name", "description": "/description", "inputSchema": "/args_schema"}


class _StructuredTool(BaseModel):
    # Runtime settings (return_direct, response_format, tags, ...) are read, then reported as dropped.
    model_config = ConfigDict(extra="allow")

    name: str
    description: str = ""
    args_schema: dict[str, Any] | None = None


def runtime_settings_dropped(source: BaseModel, format_label: str) -> list[DroppedFeature]:
    return [
        DroppedFeature("/" + key, f"a {format_label} runtime setting, not part of the tool's description")
        for key in (source.model_extra or {})
    ]


def read(document: dict[str, Any]) -> Conversion:
    source = parse_format(_StructuredTool, document)
    tool = canonical_tool(canonical_document(source.name, source.description, source.args_schema), POINTERS)
    return Conversion(tool=tool, dropped=runtime_settings_dropped(source, FORMAT_LABEL))


def write(tool: CanonicalTool) -> Conversion:
    written = {"name": tool.name, "description": tool.description or "", "args_schema": tool.input_schema}
    return Conversion(tool=written, dropped=only_mcp_features(tool, FORMAT_LABEL))


LANGCHAIN = ToolFormat(
    name="langchain",
    reference="python.langchain.com/api_reference/core/tools/langchain_core.tools.structured.StructuredTool.html",
    read=read,
    write=write,
    field_pointers=POINTERS,
)
