"""The canonical tool description (MCP's Tool) and what a conversion to or from another format reports.

A conversion either keeps a feature, drops it and says so (a `DroppedFeature` naming where it was), or refuses the
tool with `ToolNotRepresentable` naming every field the target format cannot hold. docs/tools.md has the table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from shared.problems import InvalidParam, ValidationFailed

# MCP (2025-11-25) asks for 1 to 128 characters; which characters is each format's own rule.
TOOL_NAME_MAX_LENGTH = 128


class ToolAnnotations(BaseModel):
    """MCP's behaviour hints of a tool (no framework format holds them); hints of a later MCP revision are kept."""

    model_config = ConfigDict(extra="allow")

    # MCP's own (camelCase) field names, so a tool reads and dumps as MCP writes it.
    title: str | None = None
    readOnlyHint: bool | None = None
    destructiveHint: bool | None = None
    idempotentHint: bool | None = None
    openWorldHint: bool | None = None


def _require_object_schema(schema: dict[str, Any]) -> dict[str, Any]:
    if schema.get("type") != "object":
        raise ValueError('must be a JSON Schema whose "type" is "object" (MCP: arguments are named)')
    return schema


class CanonicalTool(BaseModel):
    """A tool as MCP's `tools/list` describes it: the one shape the platform keeps and converts from."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str = Field(min_length=1, max_length=TOOL_NAME_MAX_LENGTH)
    title: str | None = None
    description: str | None = None
    input_schema: dict[str, Any] = Field(alias="inputSchema")
    output_schema: dict[str, Any] | None = Field(default=None, alias="outputSchema")
    annotations: ToolAnnotations | None = None

    @field_validator("description")
    @classmethod
    def _empty_description_is_none(cls, description: str | None) -> str | None:
        # Several formats cannot hold an empty description (Bedrock's is non-empty); it says nothing anyway.
        return description or None

    @field_validator("input_schema", "output_schema")
    @classmethod
    def _object_schema(cls, schema: dict[str, Any] | None) -> dict[str, Any] | None:
        return None if schema is None else _require_object_schema(schema)

    def to_document(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, exclude_none=True)


@dataclass(frozen=True)
class DroppedFeature:
    """A feature the conversion could not carry and left out: where it was (a JSON pointer) and why."""

    pointer: str
    reason: str


@dataclass
class Conversion:
    """A converted tool and every feature the conversion left out."""

    tool: Any
    dropped: list[DroppedFeature] = field(default_factory=list)


@dataclass(frozen=True)
class ToolFormat:
    """One framework's tool format: its converters both ways and where it keeps the canonical fields."""

    name: str
    # A one-line citation of the format's documented shape.
    reference: str
    read: Callable[[dict[str, Any]], Conversion]
    write: Callable[[CanonicalTool], Conversion]
    # Canonical field → its JSON pointer in this format, so a problem names the field where the caller wrote it.
    field_pointers: dict[str, str]


class ToolConversionError(ValidationFailed):
    """Pointers are relative to the tool; `under` places them inside a request."""

    def under(self, prefix: str) -> ToolConversionError:
        params = [InvalidParam(name=prefix + param.name, reason=param.reason) for param in self.invalid_params]
        return type(self)(params, self.detail)


class ToolDocumentInvalid(ToolConversionError):
    slug = "validation-error"
    title = "The tool is not valid in its format"


class ToolNotRepresentable(ToolConversionError):
    slug = "tool-not-representable"
    title = "The tool cannot be represented in the target format"


def json_pointer(*parts: str | int) -> str:
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)


def invalid_document(error: ValidationError, field_pointers: dict[str, str] | None = None) -> ToolDocumentInvalid:
    """Each failure named where the caller wrote it (`field_pointers`: where a format keeps the canonical fields)."""
    params = [
        InvalidParam(name=source_pointer(json_pointer(*issue["loc"]), field_pointers or {}), reason=issue["msg"])
        for issue in error.errors()
    ]
    return ToolDocumentInvalid(params)


def canonical_tool(document: dict[str, Any], field_pointers: dict[str, str] | None = None) -> CanonicalTool:
    try:
        return CanonicalTool.model_validate(document)
    except ValidationError as error:
        raise invalid_document(error, field_pointers) from None


def source_pointer(canonical_pointer: str, field_pointers: dict[str, str]) -> str:
    """Where a canonical field (`/inputSchema/required`) was in a format that keeps it elsewhere."""
    for canonical_field, location in field_pointers.items():
        prefix = "/" + canonical_field
        if canonical_pointer == prefix or canonical_pointer.startswith(prefix + "/"):
            return location + canonical_pointer[len(prefix) :]
    return canonical_pointer
