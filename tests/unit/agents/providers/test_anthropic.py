"""Anthropic's Messages API over the wire: x-api-key and version headers, system, tool_use / tool_result blocks
with is_error, output_config's JSON format, stop reasons, usage with cached input, and its error types."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from shared.agents.providers.anthropic import PROVIDER, anthropic_messages, converse_messages
from shared.agents.providers.contract import (
    ContextTooLong,
    Message,
    ModelTurnRequest,
    ProviderError,
    ProviderFailure,
    ProviderThrottled,
)
from tests.unit.agents.providers.conftest import API_KEY, ModelServer
from tests.unit.agents.providers.converse_strategies import conversations, tool_results

WEATHER_SCHEMA = {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}
CONVERSATION: list[Message] = [
    {"role": "user", "content": [{"text": "Weather in San Francisco?"}]},
    {
        "role": "assistant",
        "content": [
            {"text": "Checking."},
            {"toolUse": {"toolUseId": "toolu_1", "name": "get_weather", "input": {"location": "San Francisco, CA"}}},
            {"toolUse": {"toolUseId": "toolu_2", "name": "get_weather", "input": {"location": "Oakland, CA"}}},
        ],
    },
    {
        "role": "user",
        "content": [
            {"toolResult": {"toolUseId": "toolu_1", "content": [{"json": {"celsius": 18}}], "status": "success"}},
            {"toolResult": {"toolUseId": "toolu_2", "content": [{"text": "station offline"}], "status": "error"}},
        ],
    },
]
# The tool-use guide's example answer.
TOOL_USE: dict[str, Any] = {
    "id": "msg_01Aq9w938a90dw8q",
    "model": "claude-sonnet-4-5",
    "stop_reason": "tool_use",
    "role": "assistant",
    "type": "message",
    "content": [
        {"type": "text", "text": "I'll check the current weather in San Francisco for you."},
        {
            "type": "tool_use",
            "id": "toolu_01A09q90qw90lq917835lq9",
            "name": "get_weather",
            "input": {"location": "San Francisco, CA"},
        },
    ],
    "stop_sequence": None,
    "usage": {
        "input_tokens": 472,
        "output_tokens": 89,
        "cache_creation_input_tokens": 10,
        "cache_read_input_tokens": 20,
    },
}


def _request(**options: Any) -> ModelTurnRequest:
    return ModelTurnRequest(model_id="claude-sonnet-4-5", messages=CONVERSATION, **options)


def test_the_request_has_the_key_header_system_tools_blocks_and_output_format(model_server: ModelServer) -> None:
    model_server.reply(TOOL_USE)
    schema = {"type": "object", "properties": {"summary": {"type": "string"}}, "additionalProperties": False}

    PROVIDER.converse(
        _request(
            system="Be brief.",
            tools=[{"name": "get_weather", "description": "Weather now", "inputSchema": WEATHER_SCHEMA}],
            output_schema=schema,
            temperature=0.0,
            max_tokens=700,
        ),
        model_server.call(),
    )

    sent = model_server.last
    assert sent.path == "/v1/messages"
    assert (sent.headers["x-api-key"], sent.headers["anthropic-version"]) == (API_KEY, "2023-06-01")
    assert "authorization" not in sent.headers
    assert {key: sent.body[key] for key in ("model", "system", "max_tokens", "temperature")} == {
        "model": "claude-sonnet-4-5",
        "system": "Be brief.",
        "max_tokens": 700,
        "temperature": 0.0,
    }
    assert sent.body["tools"] == [{"name": "get_weather", "description": "Weather now", "input_schema": WEATHER_SCHEMA}]
    assert sent.body["output_config"] == {"format": {"type": "json_schema", "schema": schema}}
    assert sent.body["messages"][1:] == [
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Checking."},
                {
                    "type": "tool_use",
                    "id": "toolu_1",
                    "name": "get_weather",
                    "input": {"location": "San Francisco, CA"},
                },
                {"type": "tool_use", "id": "toolu_2", "name": "get_weather", "input": {"location": "Oakland, CA"}},
            ],
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "toolu_1",
                    "content": [{"type": "text", "text": '{"celsius": 18}'}],
                },
                {
                    "type": "tool_result",
                    "tool_use_id": "toolu_2",
                    "content": [{"type": "text", "text": "station offline"}],
                    "is_error": True,
                },
            ],
        },
    ]


def test_a_tool_use_answer_reads_back_with_its_text_ids_and_all_input_tokens(model_server: ModelServer) -> None:
    model_server.reply(TOOL_USE)

    turn = PROVIDER.converse(_request(), model_server.call())

    assert turn.stop_reason == "tool_use"
    assert turn.message == {
        "role": "assistant",
        "content": [
            {"text": "I'll check the current weather in San Francisco for you."},
            {
                "toolUse": {
                    "toolUseId": "toolu_01A09q90qw90lq917835lq9",
                    "name": "get_weather",
                    "input": {"location": "San Francisco, CA"},
                }
            },
        ],
    }
    assert turn.usage == {"input_tokens": 502, "output_tokens": 89}


@pytest.mark.parametrize(
    ("anthropic_stop", "stop_reason"),
    [("end_turn", "end_turn"), ("stop_sequence", "end_turn"), ("max_tokens", "max_tokens"), ("refusal", "end_turn")],
)
def test_stop_reasons_map_to_the_contracts(model_server: ModelServer, anthropic_stop: str, stop_reason: str) -> None:
    answer = copy.deepcopy(TOOL_USE)
    answer["content"], answer["stop_reason"] = [{"type": "text", "text": "Done."}], anthropic_stop
    model_server.reply(answer)

    assert PROVIDER.converse(_request(), model_server.call()).stop_reason == stop_reason


@pytest.mark.parametrize(
    ("status", "error", "raised"),
    [
        (
            400,
            {"type": "invalid_request_error", "message": "prompt is too long: 208310 tokens > 200000 maximum"},
            ContextTooLong,
        ),
        (
            400,
            {
                "type": "invalid_request_error",
                "message": "input length and `max_tokens` exceed context limit: 188240 + 21333 > 200000, decrease "
                "input length or `max_tokens` and try again",
            },
            ContextTooLong,
        ),
        (
            413,
            {"type": "request_too_large", "message": "Request exceeds the maximum allowed number of bytes."},
            ContextTooLong,
        ),
        (
            429,
            {"type": "rate_limit_error", "message": "Number of request tokens has exceeded your rate limit."},
            ProviderThrottled,
        ),
        (529, {"type": "overloaded_error", "message": "Overloaded"}, ProviderThrottled),
        (500, {"type": "api_error", "message": "Internal server error"}, ProviderError),
        (400, {"type": "invalid_request_error", "message": "messages: roles must alternate"}, ProviderError),
    ],
)
def test_documented_errors_map_to_node_errors(
    model_server: ModelServer, status: int, error: dict, raised: type
) -> None:
    model_server.reply({"type": "error", "error": error, "request_id": "req_011CSHoEeqs5C35K2UUqR7Fy"}, status)

    with pytest.raises(ProviderFailure) as failure:
        PROVIDER.converse(_request(), model_server.call())

    assert type(failure.value) is raised
    assert API_KEY not in str(failure.value)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conversations(tool_results(one_text_block=False, with_errors=True)))
def test_converse_messages_round_trip_through_anthropic_messages(messages: list[Message]) -> None:
    assert converse_messages(anthropic_messages(messages)) == messages


def test_a_json_result_reads_back_as_its_text() -> None:
    back = converse_messages(anthropic_messages(CONVERSATION))

    assert back[2]["content"][0] == {
        "toolResult": {"toolUseId": "toolu_1", "content": [{"text": '{"celsius": 18}'}], "status": "success"}
    }
    assert back[2]["content"][1] == CONVERSATION[2]["content"][1]
