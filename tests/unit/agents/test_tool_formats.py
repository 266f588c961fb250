"""Tool descriptions convert between MCP's shape and every format, losing exactly what docs/tools.md says."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.agents.tools.canonical import CanonicalTool, ToolNotRepresentable
from shared.agents.tools.convert import read_tool, write_tool
from shared.agents.tools.format_names import ToolFormatName

PROVIDER_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")
SK_QUALIFIED_NAME = re.compile(r"(?:[0-9A-Za-z_]+-)?[0-9A-Za-z_]+")
SK_PARAMETER_NAME = re.compile(r"[0-9A-Za-z_]+")
ONLY_MCP = ("title", "outputSchema", "annotations")
ANNOTATION_KEYWORDS = {"title", "description", "$schema", "$id", "$comment", "examples", "default"}
PROVIDERS = {
    ToolFormatName.OPENAI_CHAT,
    ToolFormatName.OPENAI_RESPONSES,
    ToolFormatName.ANTHROPIC,
    ToolFormatName.BEDROCK,
}

texts = st.text(st.characters(codec="utf-8"), min_size=1, max_size=30)
tool_names = st.one_of(
    st.from_regex(r"[a-zA-Z][a-zA-Z0-9_]{0,40}", fullmatch=True),
    st.from_regex(r"[a-z]{1,10}-[a-z_]{1,10}(-[a-z]{1,5})?", fullmatch=True),
    st.from_regex(r"[a-z]{1,8}[ .][a-z]{1,8}", fullmatch=True),
    st.from_regex(r"[a-z]{65,80}", fullmatch=True),
)
property_names = st.one_of(
    st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True), st.from_regex(r"[a-z]{1,5}-[a-z]{1,5}", fullmatch=True)
)
leaf_schemas = st.one_of(
    st.fixed_dictionaries(
        {"type": st.just("string")},
        optional={"description": texts, "enum": st.lists(texts, min_size=1, max_size=4, unique=True)},
    ),
    st.fixed_dictionaries({"type": st.sampled_from(["integer", "number", "boolean"])}, optional={"description": texts}),
)


def required_subsets(properties: dict[str, Any]) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(sorted(properties)), unique=True) if properties else st.just([])


def object_schemas(children: st.SearchStrategy[Any], **optional: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    def around(properties: dict[str, Any]) -> st.SearchStrategy[Any]:
        # An object without properties may leave the keyword out.
        listed = {"properties": st.just(properties)}
        return st.fixed_dictionaries(
            {"type": st.just("object"), **(listed if properties else {})},
            optional={
                **({} if properties else listed),
                "required": required_subsets(properties),
                "additionalProperties": st.booleans(),
                "description": texts,
                **optional,
            },
        )

    return st.dictionaries(property_names, children, max_size=4).flatmap(around)


property_schemas = st.recursive(
    leaf_schemas,
    lambda children: st.one_of(
        st.fixed_dictionaries({"type": st.just("array"), "items": children}, optional={"description": texts}),
        object_schemas(children),
    ),
    max_leaves=8,
)
input_schemas = object_schemas(property_schemas, **{"$defs": st.just({"unit": {"type": "string"}})})
canonical_tools = st.fixed_dictionaries(
    {"name": tool_names, "inputSchema": input_schemas},
    optional={
        "title": texts,
        "description": texts,
        "outputSchema": object_schemas(leaf_schemas),
        "annotations": st.fixed_dictionaries({}, optional={"readOnlyHint": st.booleans(), "title": texts}),
    },
)


@dataclass
class Expected:
    """What a round trip through a format gives: the refused pointers, or the tool and the dropped pointers."""

    refused: set[str] = field(default_factory=set)
    tool: dict[str, Any] = field(default_factory=dict)
    dropped: set[str] = field(default_factory=set)


def expected_round_trip(tool: dict[str, Any], format_name: ToolFormatName) -> Expected:
    """docs/tools.md's table, restated."""
    if format_name == ToolFormatName.MCP:
        return Expected(tool=tool)
    kept_only_by_mcp = ONLY_MCP[0::2] if format_name == ToolFormatName.SEMANTIC_KERNEL else ONLY_MCP
    expected = Expected(tool={key: value for key, value in tool.items() if key not in kept_only_by_mcp})
    expected.dropped = {f"/{key}" for key in kept_only_by_mcp if key in tool}
    if format_name in PROVIDERS and not PROVIDER_NAME.fullmatch(tool["name"]):
        expected.refused.add("/name")
    if format_name == ToolFormatName.AUTOGEN:
        _flatten_top(expected, tool["inputSchema"], {"type", "properties", "required", "additionalProperties"}, set())
        expected.tool["inputSchema"].setdefault("properties", {})
    if format_name == ToolFormatName.SEMANTIC_KERNEL:
        if not SK_QUALIFIED_NAME.fullmatch(tool["name"]):
            expected.refused.add("/name")
        _flatten_top(expected, tool["inputSchema"], {"type", "properties", "required"}, {"additionalProperties"})
        properties = tool["inputSchema"].get("properties", {})
        expected.refused |= {
            f"/inputSchema/properties/{name}" for name in properties if not SK_PARAMETER_NAME.fullmatch(name)
        }
        required = [name for name in properties if name in tool["inputSchema"].get("required", [])]
        expected.tool["inputSchema"] = {"type": "object", "properties": properties}
        if required:
            expected.tool["inputSchema"]["required"] = required
    return expected


def _flatten_top(expected: Expected, schema: dict[str, Any], held: set[str], droppable: set[str]) -> None:
    expected.tool["inputSchema"] = {key: value for key, value in schema.items() if key in held}
    for keyword in schema.keys() - held:
        if keyword in ANNOTATION_KEYWORDS | droppable:
            expected.dropped.add(f"/inputSchema/{keyword}")
        else:
            expected.refused.add(f"/inputSchema/{keyword}")


@pytest.mark.parametrize("format_name", list(ToolFormatName))
@settings(max_examples=100, deadline=None)
@given(tool=canonical_tools)
def test_a_tool_round_trips_through_every_format_with_exactly_the_documented_loss(
    format_name: ToolFormatName, tool: dict[str, Any]
) -> None:
    expected = expected_round_trip(tool, format_name)
    canonical = CanonicalTool.model_validate(tool)

    if expected.refused:
        with pytest.raises(ToolNotRepresentable) as refusal:
            write_tool(canonical, format_name)
        assert {param.name for param in refusal.value.invalid_params} == expected.refused
        return
    written, dropped_writing = write_tool(canonical, format_name)
    back, dropped_reading = read_tool(json.loads(json.dumps(written)), format_name)

    assert back.to_document() == expected.tool
    assert {feature.pointer for feature in dropped_writing} == expected.dropped
    assert dropped_reading == []
