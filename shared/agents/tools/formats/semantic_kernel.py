"""Semantic Kernel's function metadata (KernelFunctionMetadata): a name within a plugin, a description, a flat list of
parameters (KernelParameterMetadata: name, description, default_value, type, is_required, schema_data) and a
return parameter.

A canonical name `plugin-function` is SK's fully qualified name (`{plugin_name}-{name}`, as SK names a function to
a model); each parameter is one property of the input schema, its `schema_data` the property's whole JSON Schema,
so nested `required` and `additionalProperties` survive inside it; only the top of the input schema is flat.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared.agents.tools.canonical import (
    CanonicalTool,
    Conversion,
    DroppedFeature,
    ToolFormat,
    canonical_tool,
    json_pointer,
)
from shared.agents.tools.rules import (
    ANNOTATION_KEYWORDS,
    canonical_document,
    only_mcp_features,
    parse_format,
    refuse_unless,
    top_level_keywords,
)
from shared.problems import InvalidParam

FORMAT_LABEL = "Semantic Kernel"
POINTERS = {"name": "/name", "description": "/description", "outputSchema": "/return_parameter/schema_data"}
# semantic_kernel.utils.validation: function, plugin and parameter names.
SK_NAME = re.compile(r"[0-9A-Za-z_]+")
QUALIFIED_NAME = re.compile(r"(?:(?P<plugin>[0-9A-Za-z_]+)-)?(?P<function>[0-9A-Za-z_]+)")
HELD_KEYWORDS = frozenset({"type", "properties", "required"})
# SK builds the parameters' object schema itself from the list, with no place for this flag.
DROPPED_KEYWORDS = ANNOTATION_KEYWORDS | {"additionalProperties"}
# KernelParameterMetadata.type_ is a Python type name; schema_data, when present, is what SK sends to a model.
PYTHON_TYPES = {
    "string": "str",
    "integer": "int",
    "number": "float",
    "boolean": "bool",
    "array": "list",
    "object": "dict",
}
JSON_TYPES = {python: json for json, python in PYTHON_TYPES.items()}


class _Parameter(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str
    description: str | None = None
    default_value: Any = None
    type_: str | None = Field(default=None, alias="type")
    is_required: bool | None = False
    schema_data: dict[str, Any] | None = None
    include_in_function_choices: bool = True

    def json_schema(self) -> dict[str, Any]:
        schema = dict(self.schema_data) if self.schema_data else {}
        if not schema and self.type_ in JSON_TYPES:
            schema["type"] = JSON_TYPES[self.type_]
        if self.description and "description" not in schema:
            schema["description"] = self.description
        if self.default_value is not None and "default" not in schema:
            schema["default"] = self.default_value
        return schema


class _FunctionMetadata(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    plugin_name: str | None = None
    description: str | None = None
    parameters: list[_Parameter] = Field(default_factory=list)
    # How SK runs the function, not what a caller passes it.
    is_prompt: bool = False
    is_asynchronous: bool | None = True
    return_parameter: _Parameter | None = None
    additional_properties: dict[str, Any] | None = None


def _input_schema(parameters: list[_Parameter]) -> tuple[dict[str, Any], list[DroppedFeature]]:
    properties: dict[str, Any] = {}
    required: list[str] = []
    dropped = []
    for index, parameter in enumerate(parameters):
        if not parameter.include_in_function_choices:
            dropped.append(DroppedFeature(json_pointer("parameters", index), "SK does not offer it to a model"))
            continue
        properties[parameter.name] = parameter.json_schema()
        if parameter.is_required:
            required.append(parameter.name)
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema, dropped


def read(document: dict[str, Any]) -> Conversion:
    source = parse_format(_FunctionMetadata, document)
    input_schema, dropped = _input_schema(source.parameters)
    output_schema = None
    if source.return_parameter is not None:
        returned = source.return_parameter.json_schema()
        if returned.get("type") == "object":
            output_schema = returned
        elif returned:
            dropped.append(DroppedFeature("/return_parameter", "MCP's outputSchema describes only object results"))
    if source.additional_properties:
        dropped.append(DroppedFeature("/additional_properties", "MCP's tool has no place for SK's own metadata"))
    name = f"{source.plugin_name}-{source.name}" if source.plugin_name else source.name
    document = canonical_document(name, source.description, input_schema, outputSchema=output_schema)
    return Conversion(tool=canonical_tool(document, POINTERS), dropped=dropped)


def _parameters(schema: dict[str, Any]) -> tuple[list[dict[str, Any]], list[InvalidParam]]:
    properties: dict[str, Any] = schema.get("properties", {})
    required = schema.get("required", [])
    refused = [
        InvalidParam(name=json_pointer("inputSchema", "required", index), reason="names no property")
        for index, name in enumerate(required)
        if name not in properties
    ]
    parameters = []
    for name, property_schema in properties.items():
        pointer = json_pointer("inputSchema", "properties", name)
        if not SK_NAME.fullmatch(name):
            refused.append(
                InvalidParam(name=pointer, reason=f"{FORMAT_LABEL} parameter names must match ^{SK_NAME.pattern}$")
            )
        elif not isinstance(property_schema, dict):
            refused.append(InvalidParam(name=pointer, reason=f"{FORMAT_LABEL} holds a parameter's schema as an object"))
        else:
            parameters.append(_parameter(name, property_schema, is_required=name in required))
    return parameters, refused


def _parameter(name: str, schema: dict[str, Any], *, is_required: bool) -> dict[str, Any]:
    json_type = schema.get("type")
    return {
        "name": name,
        "description": schema.get("description"),
        "default_value": schema.get("default"),
        "type": PYTHON_TYPES.get(json_type) if isinstance(json_type, str) else None,
        "is_required": is_required,
        "schema_data": schema,
    }


def write(tool: CanonicalTool) -> Conversion:
    qualified = QUALIFIED_NAME.fullmatch(tool.name)
    refused = []
    if qualified is None:
        reason = f"{FORMAT_LABEL} names are [plugin-]function, each part matching ^{SK_NAME.pattern}$"
        refused.append(InvalidParam(name="/name", reason=reason))
    schema, dropped, refused_keywords = top_level_keywords(
        tool.input_schema, HELD_KEYWORDS, DROPPED_KEYWORDS, FORMAT_LABEL
    )
    parameters, refused_parameters = _parameters(schema)
    refuse_unless(refused + refused_keywords + refused_parameters)
    assert qualified is not None
    output = tool.output_schema
    written = {
        "name": qualified["function"],
        "plugin_name": qualified["plugin"],
        "description": tool.description,
        "parameters": parameters,
        "is_prompt": False,
        "is_asynchronous": True,
        "return_parameter": None if output is None else _parameter("return", output, is_required=True),
    }
    return Conversion(tool=written, dropped=only_mcp_features(tool, FORMAT_LABEL, keeps_output_schema=True) + dropped)


SEMANTIC_KERNEL = ToolFormat(
    name="semantic_kernel",
    reference="learn.microsoft.com/python/api/semantic-kernel/semantic_kernel.functions.kernel_function_metadata",
    read=read,
    write=write,
    field_pointers=POINTERS,
)
