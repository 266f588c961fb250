"""CrewAI's BaseTool as JSON: `{"name", "description", "args_schema": <JSON Schema>}` (its JSON dump serializes
`args_schema`, a pydantic model, as the model's JSON Schema)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from shared.agents.tools.canonical import CanonicalTool, Conversion, ToolFormat, canonical_tool
from shared.agents.tools.formats.langchain import runtime_settings_dropped
from shared.agents.tools.rules import canonical_document, only_mcp_features, parse_format

FORMAT_LABEL = "CrewAI"
POINTERS = {"name": "/name", "description": "/description", "inputSchema": "/args_schema"}
# A BaseTool rewrites its description at construction: "Tool Name: …\nTool Arguments: …\nTool Description: <ours>".
GENERATED_DESCRIPTION_PREFIX = "Tool Name: "
GENERATED_DESCRIPTION_MARKER = "\nTool Description: "


class _CrewTool(BaseModel):
    # Runtime settings (result_as_answer, max_usage_count, env_vars, ...) are read, then reported as dropped.
    model_config = ConfigDict(extra="allow")

    name: str
    description: str
    args_schema: dict[str, Any] | None = None


def _own_description(description: str) -> str:
    if description.startswith(GENERATED_DESCRIPTION_PREFIX) and GENERATED_DESCRIPTION_MARKER in description:
        return description.split(GENERATED_DESCRIPTION_MARKER, 1)[1]
    return description


def read(document: dict[str, Any]) -> Conversion:
    source = parse_format(_CrewTool, document)
    description = _own_description(source.description)
    tool = canonical_tool(canonical_document(source.name, description, source.args_schema), POINTERS)
    return Conversion(tool=tool, dropped=runtime_settings_dropped(source, FORMAT_LABEL))


def write(tool: CanonicalTool) -> Conversion:
    written = {"name": tool.name, "description": tool.description or "", "args_schema": tool.input_schema}
    return Conversion(tool=written, dropped=only_mcp_features(tool, FORMAT_LABEL))


CREWAI = ToolFormat(
    name="crewai",
    reference="docs.crewai.com/en/learn/create-custom-tools (BaseTool: name, description, args_schema)",
    read=read,
    write=write,
    field_pointers=POINTERS,
)
