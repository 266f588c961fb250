"""Checks and conversions several tool formats share: name rules, the features only MCP holds, top-level keywords."""

from __future__ import annotations

import re
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from shared.agents.tools.canonical import (
    CanonicalTool,
    DroppedFeature,
    ToolNotRepresentable,
    invalid_document,
    json_pointer,
)
from shared.problems import InvalidParam

Model = TypeVar("Model", bound=BaseModel)

# OpenAI (Chat Completions and Responses) and Anthropic: "^[a-zA-Z0-9_-]{1,64}$"; Bedrock's ToolName: 1 to 64 of
# [a-zA-Z0-9_-] (botocore's bedrock-runtime model).
PROVIDER_TOOL_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")
# JSON Schema keywords that only annotate: a format that cannot hold them loses no constraint on the arguments.
ANNOTATION_KEYWORDS = frozenset({"title", "description", "$schema", "$id", "$comment", "examples", "default"})


def empty_object_schema() -> dict[str, Any]:
    """An object schema that names no property (and forbids none): what a format without parameters means."""
    return {"type": "object", "properties": {}}


def parse_format(model: type[Model], document: dict[str, Any]) -> Model:
    try:
        return model.model_validate(document)
    except ValidationError as error:
        raise invalid_document(error) from None


def refuse_unless(refusals: list[InvalidParam]) -> None:
    if refusals:
        raise ToolNotRepresentable(refusals, "; ".join(f"{param.name}: {param.reason}" for param in refusals))


def name_refusals(name: str, pattern: re.Pattern[str], format_label: str) -> list[InvalidParam]:
    if pattern.fullmatch(name):
        return []
    return [InvalidParam(name="/name", reason=f"{format_label} tool names must match ^{pattern.pattern}$")]


def provider_tool_fields(tool: CanonicalTool, format_label: str, schema_key: str, schema: Any) -> dict[str, Any]:
    """The name (refused unless a provider's name rule takes it), the description when there is one and the input
    schema as `schema` under `schema_key`: the fields of the model providers' tool shapes."""
    refuse_unless(name_refusals(tool.name, PROVIDER_TOOL_NAME, format_label))
    fields: dict[str, Any] = {"name": tool.name}
    if tool.description is not None:
        fields["description"] = tool.description
    fields[schema_key] = schema
    return fields


def only_mcp_features(
    tool: CanonicalTool, format_label: str, *, keeps_output_schema: bool = False
) -> list[DroppedFeature]:
    """MCP's title and annotations (and, for most formats, its output schema) have no place in `format_label`."""
    dropped = []
    if tool.title is not None:
        dropped.append(DroppedFeature("/title", f"{format_label} has no display title"))
    if tool.output_schema is not None and not keeps_output_schema:
        dropped.append(DroppedFeature("/outputSchema", f"{format_label} does not describe a tool's result"))
    if tool.annotations is not None:
        dropped.append(DroppedFeature("/annotations", f"{format_label} has no behaviour hints"))
    return dropped


def strict_dropped(strict: bool | None, pointer: str) -> list[DroppedFeature]:
    if not strict:
        return []
    return [DroppedFeature(pointer, "MCP's tool has no strict mode: the arguments are no longer guaranteed to match")]


def top_level_keywords(
    schema: dict[str, Any], held: frozenset[str], droppable: frozenset[str], format_label: str
) -> tuple[dict[str, Any], list[DroppedFeature], list[InvalidParam]]:
    """Splits the top of an input schema into what `format_label` holds, what it drops and what it refuses."""
    kept: dict[str, Any] = {}
    dropped: list[DroppedFeature] = []
    refused: list[InvalidParam] = []
    for keyword, value in schema.items():
        pointer = json_pointer("inputSchema", keyword)
        if keyword in held:
            kept[keyword] = value
        elif keyword in droppable:
            dropped.append(DroppedFeature(pointer, f"{format_label} has no place for it at the top of the parameters"))
        else:
            holds = ", ".join(sorted(held))
            refused.append(InvalidParam(name=pointer, reason=f"{format_label} holds only {holds} at the top"))
    return kept, dropped, refused


def canonical_document(
    name: str, description: str | None, input_schema: dict[str, Any] | None, **more: Any
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "name": name,
        "inputSchema": empty_object_schema() if input_schema is None else input_schema,
    }
    if description:
        document["description"] = description
    document.update({key: value for key, value in more.items() if value is not None})
    return document
