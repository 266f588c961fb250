"""POST /v1/tools/convert on the local platform: a viewer converts a tool; what cannot be represented is a 422."""

from __future__ import annotations

CONVERT = "/v1/tools/convert"
WEATHER_PARAMETERS = {
    "type": "object",
    "properties": {"location": {"type": "string", "description": "City and country"}},
    "required": ["location"],
    "additionalProperties": False,
}
OPENAI_WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current temperature.",
        "parameters": WEATHER_PARAMETERS,
        "strict": True,
    },
}


def test_a_viewer_converts_an_openai_tool_to_bedrock_and_is_told_what_was_dropped(api, members) -> None:
    response = api.post(
        CONVERT, headers=members.viewer, json={"from": "openai_chat", "to": "bedrock", "tool": OPENAI_WEATHER}
    )

    assert response.status_code == 200, response.text
    assert response.json() == {
        "format": "bedrock",
        "tool": {
            "toolSpec": {
                "name": "get_weather",
                "description": "Current temperature.",
                "inputSchema": {"json": WEATHER_PARAMETERS},
            }
        },
        "dropped": [
            {
                "pointer": "/function/strict",
                "reason": "MCP's tool has no strict mode: the arguments are no longer guaranteed to match",
            }
        ],
    }


def test_a_name_the_target_cannot_hold_is_a_422_naming_it(api, members) -> None:
    crew_tool = {"name": "Search the web", "description": "Searches.", "args_schema": {"type": "object"}}

    response = api.post(CONVERT, headers=members.viewer, json={"from": "crewai", "to": "anthropic", "tool": crew_tool})

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"].endswith("/tool-not-representable")
    assert [param["name"] for param in problem["invalid-params"]] == ["/body/tool/name"]
    assert "^[a-zA-Z0-9_-]{1,64}$" in problem["invalid-params"][0]["reason"]


def test_keywords_semantic_kernel_cannot_hold_are_each_named(api, members) -> None:
    mcp_tool = {
        "name": "weather.get",
        "inputSchema": {"type": "object", "properties": {"place-name": {"type": "string"}}, "allOf": []},
    }

    response = api.post(
        CONVERT, headers=members.viewer, json={"from": "mcp", "to": "semantic_kernel", "tool": mcp_tool}
    )

    assert response.status_code == 422
    assert sorted(param["name"] for param in response.json()["invalid-params"]) == [
        "/body/tool/inputSchema/allOf",
        "/body/tool/inputSchema/properties/place-name",
        "/body/tool/name",
    ]


def test_a_tool_that_is_not_valid_in_its_own_format_is_a_422_with_a_pointer(api, members) -> None:
    bedrock_tool = {"toolSpec": {"name": "f", "inputSchema": {"json": {"type": "array"}}}}

    response = api.post(CONVERT, headers=members.viewer, json={"from": "bedrock", "to": "mcp", "tool": bedrock_tool})

    assert response.status_code == 422
    assert response.json()["type"].endswith("/validation-error")
    assert [param["name"] for param in response.json()["invalid-params"]] == ["/body/tool/toolSpec/inputSchema/json"]


def test_an_unknown_format_is_a_422_naming_the_field(api, members) -> None:
    response = api.post(CONVERT, headers=members.viewer, json={"from": "gemini", "to": "mcp", "tool": {}})

    assert response.status_code == 422
    assert [param["name"] for param in response.json()["invalid-params"]] == ["/body/from"]


def test_converting_needs_credentials(api, emulated_aws) -> None:
    response = api.post(CONVERT, json={"from": "openai_chat", "to": "mcp", "tool": OPENAI_WEATHER})

    assert response.status_code == 401
