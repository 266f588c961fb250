"""CrewAI's BaseTool as JSON: `{"name", "description", "args_schema": <JSON Schema>}` (its JSON dump serializes
`args_schema`, a pydantic model, as the model's JSON Schema)."""

from __future__ import annotations

from shared.agents.tools.formats.args_schema import args_schema_format

# A BaseTool rewrites its description at construction: "Tool Name: …\nTool Arguments: …\nTool Description: <ours>".
GENERATED_DESCRIPTION_PREFIX = "Tool Name: "
GENERATED_DESCRIPTION_MARKER = "\nTool Description: "


def own_description(description: str) -> str:
    if description.startswith(GENERATED_DESCRIPTION_PREFIX) and GENERATED_DESCRIPTION_MARKER in description:
        return description.split(GENERATED_DESCRIPTION_MARKER, 1)[1]
    return description


CREWAI = args_schema_format(
    name="crewai",
    label="CrewAI",
    reference="docs.crewai.com/en/learn/create-custom-tools (BaseTool: name, description, args_schema)",
    own_description=own_description,
)
