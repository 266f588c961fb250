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


def workflow_document_outline() -> dict[str, Any]:
    """The workflow schema with its few shared definitions written in place and each node's `params` left an object,
    for the OpenAPI document: what a request body must look like, while the validator checks each node's params and
    the graph (and names the place of every finding). Read from the committed schema: building it takes ~30 ms, too
    much for a router's import."""
    schema = json.loads(SCHEMA_PATH.read_text())
    definitions = schema.pop("$defs")
    definitions["Node"].pop("allOf")
    outline: dict[str, Any] = _in_place(
        {key: value for key, value in schema.items() if key not in ("$schema", "$id")}, definitions
    )
    return outline


def _in_place(schema: Any, definitions: dict[str, Any]) -> Any:
    if isinstance(schema, dict):
        reference = schema.get("$ref")
        if isinstance(reference, str):
            return _in_place(definitions[reference.removeprefix("#/$defs/")], definitions)
        return {key: _in_place(value, definitions) for key, value in schema.items()}
    if isinstance(schema, list):
        return [_in_place(item, definitions) for item in schema]
    return schema


def render_schema() -> str:
    return json.dumps(workflow_json_schema(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    SCHEMA_PATH.write_text(render_schema())
