"""Each format's own documented example converts to MCP's shape and back; what a format cannot hold is named."""

from __future__ import annotations

from typing import Any

import pytest

from shared.agents.tools.canonical import ToolDocumentInvalid, ToolNotRepresentable
from shared.agents.tools.convert import convert_tool
from shared.agents.tools.format_names import ToolFormatName

WEATHER_PARAMETERS = {
    "type": "object",
    "properties": {"location": {"type": "string", "description": "City and country, e.g. Paris, France"}},
    "required": ["location"],
    "additionalProperties": False,
}
WEATHER_MCP = {
    "name": "get_weather",
    "description": "Current temperature at a place.",
    "inputSchema": WEATHER_PARAMETERS,
}
ANTHROPIC_PARAMETERS = {
    "type": "object",
    "properties": {
        "location": {"type": "string", "description": "The city and state, e.g. San Francisco, CA"},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"], "description": "The temperature unit"},
    },
    "required": ["location"],
}
TOP_SONG_PARAMETERS = {
    "type": "object",
    "properties": {"sign": {"type": "string", "description": "The radio station's call sign, e.g. WZPZ"}},
    "required": ["sign"],
}
MULTIPLY_PARAMETERS = {
    "title": "multiply",
    "type": "object",
    "properties": {"a": {"title": "A", "type": "integer"}, "b": {"title": "B", "type": "integer"}},
    "required": ["a", "b"],
}
STOCK_PARAMETERS = {
    "type": "object",
    "properties": {
        "ticker": {"description": "ticker", "title": "Ticker", "type": "string"},
        "date": {"description": "Date in YYYY/MM/DD", "title": "Date", "type": "string"},
    },
    "required": ["ticker", "date"],
    "additionalProperties": False,
}
CREW_PARAMETERS = {
    "properties": {"argument": {"description": "Description of the argument.", "title": "Argument", "type": "string"}},
    "required": ["argument"],
    "title": "MyToolInput",
    "type": "object",
}

# (format, the format's documented example, its MCP form, pointers dropped on the way)
DOCUMENTED_EXAMPLES: list[tuple[ToolFormatName, dict[str, Any], dict[str, Any], set[str]]] = [
    (
        ToolFormatName.OPENAI_CHAT,
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Current temperature at a place.",
                "parameters": WEATHER_PARAMETERS,
            },
        },
        WEATHER_MCP,
        set(),
    ),
    (
        ToolFormatName.OPENAI_RESPONSES,
        {
            "type": "function",
            "name": "get_weather",
            "description": "Current temperature at a place.",
            "parameters": WEATHER_PARAMETERS,
            "strict": False,
        },
        WEATHER_MCP,
        set(),
    ),
    (
        ToolFormatName.ANTHROPIC,
        {"name": "get_weather", "description": "Get the current weather", "input_schema": ANTHROPIC_PARAMETERS},
        {"name": "get_weather", "description": "Get the current weather", "inputSchema": ANTHROPIC_PARAMETERS},
        set(),
    ),
    (
        ToolFormatName.BEDROCK,
        {
            "toolSpec": {
                "name": "top_song",
                "description": "Get the most popular song played on a radio station.",
                "inputSchema": {"json": TOP_SONG_PARAMETERS},
            }
        },
        {
            "name": "top_song",
            "description": "Get the most popular song played on a radio station.",
            "inputSchema": TOP_SONG_PARAMETERS,
        },
        set(),
    ),
    (
        ToolFormatName.LANGCHAIN,
        {"name": "multiply", "description": "Multiply two integers.", "args_schema": MULTIPLY_PARAMETERS},
        {"name": "multiply", "description": "Multiply two integers.", "inputSchema": MULTIPLY_PARAMETERS},
        set(),
    ),
    (
        ToolFormatName.AUTOGEN,
        {"name": "get_stock_price", "description": "Get the stock price.", "parameters": STOCK_PARAMETERS},
        {"name": "get_stock_price", "description": "Get the stock price.", "inputSchema": STOCK_PARAMETERS},
        set(),
    ),
    (
        ToolFormatName.CREWAI,
        {"name": "Name of my tool", "description": "What this tool does.", "args_schema": CREW_PARAMETERS},
        {"name": "Name of my tool", "description": "What this tool does.", "inputSchema": CREW_PARAMETERS},
        set(),
    ),
    (
        ToolFormatName.SEMANTIC_KERNEL,
        {
            "name": "get_weather",
            "plugin_name": "WeatherPlugin",
            "description": "Gets the weather for a city",
            "parameters": [
                {
                    "name": "city",
                    "description": "The city",
                    "default_value": None,
                    "type": "str",
                    "is_required": True,
                    "schema_data": {"type": "string", "description": "The city"},
                }
            ],
            "is_prompt": False,
            "is_asynchronous": True,
            "return_parameter": None,
        },
        {
            "name": "WeatherPlugin-get_weather",
            "description": "Gets the weather for a city",
            "inputSchema": {
                "type": "object",
                "properties": {"city": {"type": "string", "description": "The city"}},
                "required": ["city"],
            },
        },
        set(),
    ),
]


@pytest.mark.parametrize(
    ("format_name", "example", "mcp_tool", "dropped"),
    DOCUMENTED_EXAMPLES,
    ids=[case[0] for case in DOCUMENTED_EXAMPLES],
)
def test_a_documented_example_converts_to_mcp_and_back_unchanged(format_name, example, mcp_tool, dropped) -> None:
    as_mcp = convert_tool(example, format_name, ToolFormatName.MCP)
    back = convert_tool(as_mcp.tool, ToolFormatName.MCP, format_name)

    assert as_mcp.tool == mcp_tool
    assert {feature.pointer for feature in as_mcp.dropped} == dropped
    assert back.tool == example
    assert back.dropped == []


def test_openai_strict_mode_is_dropped_and_named() -> None:
    chat = {"type": "function", "function": {"name": "f", "parameters": WEATHER_PARAMETERS, "strict": True}}

    converted = convert_tool(chat, ToolFormatName.OPENAI_CHAT, ToolFormatName.BEDROCK)

    assert converted.tool == {"toolSpec": {"name": "f", "inputSchema": {"json": WEATHER_PARAMETERS}}}
    assert [feature.pointer for feature in converted.dropped] == ["/function/strict"]


def test_mcp_only_features_are_dropped_and_named_where_the_source_kept_them() -> None:
    mcp_tool = {
        **WEATHER_MCP,
        "title": "Weather",
        "outputSchema": {"type": "object", "properties": {"celsius": {"type": "number"}}},
        "annotations": {"readOnlyHint": True},
        "_meta": {"vendor": "x"},
    }

    converted = convert_tool(mcp_tool, ToolFormatName.MCP, ToolFormatName.ANTHROPIC)

    assert converted.tool == {
        "name": "get_weather",
        "description": WEATHER_MCP["description"],
        "input_schema": WEATHER_PARAMETERS,
    }
    assert [feature.pointer for feature in converted.dropped] == ["/_meta", "/title", "/outputSchema", "/annotations"]


def test_semantic_kernel_keeps_an_object_output_schema_as_its_return_parameter() -> None:
    output = {"type": "object", "properties": {"celsius": {"type": "number"}}, "required": ["celsius"]}

    kernel = convert_tool({**WEATHER_MCP, "outputSchema": output}, ToolFormatName.MCP, ToolFormatName.SEMANTIC_KERNEL)
    back = convert_tool(kernel.tool, ToolFormatName.SEMANTIC_KERNEL, ToolFormatName.MCP)

    assert kernel.tool["return_parameter"]["schema_data"] == output
    assert back.tool["outputSchema"] == output


def test_semantic_kernel_drops_a_return_parameter_that_is_not_an_object() -> None:
    kernel = {
        "name": "now",
        "parameters": [],
        "is_prompt": False,
        "return_parameter": {"name": "return", "type": "str"},
    }

    converted = convert_tool(kernel, ToolFormatName.SEMANTIC_KERNEL, ToolFormatName.MCP)

    assert converted.tool == {"name": "now", "inputSchema": {"type": "object", "properties": {}}}
    assert [feature.pointer for feature in converted.dropped] == ["/return_parameter"]


def test_crewai_reads_its_own_description_out_of_the_generated_one_and_names_runtime_settings() -> None:
    crew_tool = {
        "name": "search",
        "description": 'Tool Name: search\nTool Arguments: {"q": {"type": "string"}}\nTool Description: Searches.',
        "args_schema": {"type": "object", "properties": {"q": {"type": "string"}}},
        "result_as_answer": True,
    }

    converted = convert_tool(crew_tool, ToolFormatName.CREWAI, ToolFormatName.MCP)

    assert converted.tool["description"] == "Searches."
    assert [feature.pointer for feature in converted.dropped] == ["/result_as_answer"]


def test_a_name_the_target_refuses_is_named_where_the_source_kept_it() -> None:
    crew_tool = {"name": "Name of my tool", "description": "d", "args_schema": CREW_PARAMETERS}

    with pytest.raises(ToolNotRepresentable) as refusal:
        convert_tool(crew_tool, ToolFormatName.CREWAI, ToolFormatName.OPENAI_CHAT)

    assert [param.name for param in refusal.value.invalid_params] == ["/name"]
    assert "^[a-zA-Z0-9_-]{1,64}$" in refusal.value.invalid_params[0].reason


def test_top_level_keywords_autogen_cannot_hold_are_named_in_the_source_format() -> None:
    chat = {
        "type": "function",
        "function": {"name": "f", "parameters": {**WEATHER_PARAMETERS, "$defs": {"unit": {"type": "string"}}}},
    }

    with pytest.raises(ToolNotRepresentable) as refusal:
        convert_tool(chat, ToolFormatName.OPENAI_CHAT, ToolFormatName.AUTOGEN)

    assert [param.name for param in refusal.value.invalid_params] == ["/function/parameters/$defs"]


@pytest.mark.parametrize(
    ("format_name", "document", "pointer"),
    [
        (ToolFormatName.ANTHROPIC, {"name": "f", "input_schema": {"type": "object"}, "extra": 1}, "/extra"),
        (
            ToolFormatName.BEDROCK,
            {"toolSpec": {"name": "f", "inputSchema": {"json": {"type": "array"}}}},
            "/toolSpec/inputSchema/json",
        ),
        (ToolFormatName.OPENAI_CHAT, {"type": "function", "function": {"description": "no name"}}, "/function/name"),
        (ToolFormatName.MCP, {"name": "", "inputSchema": {"type": "object"}}, "/name"),
    ],
)
def test_a_tool_that_is_not_valid_in_its_own_format_is_refused_with_a_pointer(format_name, document, pointer) -> None:
    with pytest.raises(ToolDocumentInvalid) as invalid:
        convert_tool(document, format_name, ToolFormatName.MCP)

    assert [param.name for param in invalid.value.invalid_params] == [pointer]
