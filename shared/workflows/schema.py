"""The JSON Schema of a workflow document, with each node type's parameters; committed as workflow.schema.json.

Regenerate with `python -m shared.workflows.schema`; a test fails while the committed file is stale.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from shared.workflows.model import WorkflowDefinition
from shared.workflows.nodes import NODE_TYPES

SCHEMA_PATH = Path(__file__).with_name("workflow.schema.json")
SCHEMA_ID = "https://nexus-forge.dev/schemas/workflow/v1"


def workflow_json_schema() -> dict[str, Any]:
    schema = WorkflowDefinition.model_json_schema(by_alias=True, ref_template="#/$defs/{model}")
    definitions: dict[str, Any] = schema.setdefault("$defs", {})
    per_type: list[dict[str, Any]] = []
    for node_type_name, node_type in sorted(NODE_TYPES.items()):
        params_schema = node_type.params_model.model_json_schema(ref_template="#/$defs/{model}")
        definitions.update(params_schema.pop("$defs", {}))
        definitions[node_type.params_model.__name__] = params_schema
        per_type.append(
            {
                "if": {"properties": {"type": {"const": node_type_name}}},
                "then": {"properties": {"params": {"$ref": f"#/$defs/{node_type.params_model.__name__}"}}},
            }
        )
    definitions["Node"]["properties"]["type"]["enum"] = sorted(NODE_TYPES)
    definitions["Node"]["allOf"] = per_type
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema}


def render_schema() -> str:
    return json.dumps(workflow_json_schema(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    SCHEMA_PATH.write_text(render_schema())
