"""OpenAI Chat Completions over the wire: what the provider sends, how the answer reads back, how failures map."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from shared.agents.providers.contract import (
    ContextTooLong,
    Message,
    ModelTurnRequest,
    ProviderError,
    ProviderThrottled,
    ToolSpec,
)
from shared.agents.providers.openai_chat import PROVIDER, chat_messages, converse_messages
from tests.unit.agents.providers.conftest import API_KEY, ModelServer
from tests.unit.agents.providers.converse_strategies import conversations, tool_results

WEATHER_TOOL: ToolSpec = {
    "name": "get_current_weather",
    "description": "Get the current weather in a given location",
    "inputSchema": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]},
}
ANSWER_SCHEMA = {"type": "object", "properties": {"summary": {"type": "string"}}, "required": ["summary"]}
CONVERSATION: list[Message] = [
    {"role": "user", "content": [{"text": "Weather in Boston and Paris?"}]},
    {
        "role": "assistant",
        "content": [
            {"text": "Checking both."},
            {"toolUse": {"toolUseId": "call_1", "name": "get_current_weather", "input": {"location": "Boston, MA"}}},
            {"toolUse": {"toolUseId": "call_2", "name": "get_current_weather", "input": {"location": "Paris"}}},
        ],
    },
    {
        "role": "user",
        "content": [
            {"toolResult": {"toolUseId": "call_1", "content": [{"json": {"celsius": 22}}], "status": "success"}},
            {"toolResult": {"toolUseId": "call_2", "content": [{"text": "upstream timeout"}], "status": "error"}},
        ],
    },
]
# The API reference's tool-call example, with a second (parallel) call.
PARALLEL_TOOL_CALLS: dict[str, Any] = {
    "id": "chatcmpl-abc123",
    "object": "chat.completion",
    "created": 1699896916,
    "model": "gpt-4o-mini",
    "choices": [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_abc123",
                        "type": "function",
                        "function": {"name": "get_current_weather", "arguments": '{\n"location": "Boston, MA"\n}'},
                    },
                    {
                        "id": "call_def456",
                        "type": "function",
                        "function": {"name": "get_current_weather", "arguments": '{"location": "Paris"}'},
                    },
                ],
                "refusal": None,
            },
            "logprobs": None,
            "finish_reason": "tool_calls",
        }
    ],
    "usage": {"prompt_tokens": 82, "completion_tokens": 17, "total_tokens": 99},
}
CONTEXT_LENGTH_EXCEEDED = {
    "error": {
        "message": "This model's maximum context length is 128000 tokens. However, your messages resulted in 130511 "
        "tokens. Please reduce the length of the messages.",
        "type": "invalid_request_error",
        "param": "messages",
        "code": "context_length_exceeded",
    }
}


def _completion(content: str, finish_reason: str = "stop") -> dict:
    answer = copy.deepcopy(PARALLEL_TOOL_CALLS)
    answer["choices"][0]["message"] = {"role": "assistant", "content": content, "refusal": None}
    answer["choices"][0]["finish_reason"] = finish_reason
    return answer


def _request(**options) -> ModelTurnRequest:
    return ModelTurnRequest(model_id="gpt-4o-mini", messages=CONVERSATION, **options)


def test_the_request_carries_the_key_as_bearer_the_tools_and_the_output_schema(model_server: ModelServer) -> None:
    model_server.reply(_completion('{"summary": "warm"}'))

    PROVIDER.converse(
        _request(
            system="Be brief.", tools=[WEATHER_TOOL], output_schema=ANSWER_SCHEMA, temperature=0.2, max_tokens=300
        ),
        model_server.call("/v1"),
    )

    sent = model_server.last
    assert (sent.path, sent.headers["authorization"]) == ("/v1/chat/completions", f"Bearer {API_KEY}")
    assert sent.body["model"] == "gpt-4o-mini"
    assert (sent.body["max_completion_tokens"], sent.body["temperature"]) == (300, 0.2)
    assert sent.body["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "get_current_weather",
                "description": "Get the current weather in a given location",
                "parameters": WEATHER_TOOL["inputSchema"],
            },
        }
    ]
    assert sent.body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "answer", "schema": ANSWER_SCHEMA},
    }
    assert sent.body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Weather in Boston and Paris?"},
        {
            "role": "assistant",
            "content": "Checking both.",
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_current_weather", "arguments": '{"location": "Boston, MA"}'},
                },
                {
                    "id": "call_2",
                    "type": "function",
                    "function": {"name": "get_current_weather", "arguments": '{"location": "Paris"}'},
                },
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": '{"celsius": 22}'},
        {"role": "tool", "tool_call_id": "call_2", "content": "Error: upstream timeout"},
    ]


def test_parallel_tool_calls_come_back_as_tool_uses_with_their_ids_and_usage(model_server: ModelServer) -> None:
    model_server.reply(PARALLEL_TOOL_CALLS)

    turn = PROVIDER.converse(_request(tools=[WEATHER_TOOL]), model_server.call("/v1"))

    assert turn.stop_reason == "tool_use"
    assert turn.tool_uses == [
        {"toolUseId": "call_abc123", "name": "get_current_weather", "input": {"location": "Boston, MA"}},
        {"toolUseId": "call_def456", "name": "get_current_weather", "input": {"location": "Paris"}},
    ]
    assert turn.usage == {"input_tokens": 82, "output_tokens": 17}


@pytest.mark.parametrize(("finish_reason", "stop_reason"), [("stop", "end_turn"), ("length", "max_tokens")])
def test_a_text_answer_reads_back_with_its_stop_reason(model_server: ModelServer, finish_reason, stop_reason) -> None:
    model_server.reply(_completion("It is 22 °C in Boston.", finish_reason))

    turn = PROVIDER.converse(_request(), model_server.call("/v1"))

    assert (turn.message, turn.stop_reason) == (
        {"role": "assistant", "content": [{"text": "It is 22 °C in Boston."}]},
        stop_reason,
    )


def test_tool_arguments_that_are_not_a_json_object_are_a_provider_error(model_server: ModelServer) -> None:
    broken = copy.deepcopy(PARALLEL_TOOL_CALLS)
    broken["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"] = '{"location": "Bost'
    model_server.reply(broken)

    with pytest.raises(ProviderError, match="get_current_weather"):
        PROVIDER.converse(_request(), model_server.call("/v1"))


def test_the_documented_context_length_error_is_context_too_long(model_server: ModelServer) -> None:
    model_server.reply(CONTEXT_LENGTH_EXCEEDED, status=400)

    with pytest.raises(ContextTooLong) as raised:
        PROVIDER.converse(_request(), model_server.call("/v1"))

    assert raised.value.error == "Agent.ContextTooLong"
    assert "maximum context length is 128000 tokens" in str(raised.value)


def test_a_429_is_throttled_and_keeps_retry_after(model_server: ModelServer) -> None:
    limit = {
        "error": {"message": "Rate limit reached for gpt-4o-mini", "type": "requests", "code": "rate_limit_exceeded"}
    }
    model_server.reply(limit, status=429, headers={"retry-after": "20"})

    with pytest.raises(ProviderThrottled) as raised:
        PROVIDER.converse(_request(), model_server.call("/v1"))

    assert raised.value.error == "Agent.Throttled"
    assert "Retry-After: 20" in str(raised.value)


def test_other_failures_are_provider_errors_with_the_providers_words(model_server: ModelServer) -> None:
    model_server.reply({"error": {"message": "The server had an error", "type": "server_error"}}, status=500)

    with pytest.raises(ProviderError, match="HTTP 500: The server had an error") as raised:
        PROVIDER.converse(_request(), model_server.call("/v1"))

    assert raised.value.status == 500


def test_openai_without_a_key_is_refused_before_any_request(model_server: ModelServer) -> None:
    with pytest.raises(ProviderError, match="needs an API key"):
        PROVIDER.converse(_request(), model_server.call("/v1", api_key=None))

    assert model_server.requests == []


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conversations(tool_results(one_text_block=True, with_errors=False)))
def test_converse_messages_round_trip_through_chat_messages(messages: list[Message]) -> None:
    system, back = converse_messages("openai_chat", chat_messages("Be brief.", messages))

    assert (system, back) == ("Be brief.", messages)


def test_an_error_result_and_a_json_result_read_back_as_successful_text() -> None:
    _, back = converse_messages("openai_chat", chat_messages(None, CONVERSATION))

    assert back[2]["content"] == [
        {"toolResult": {"toolUseId": "call_1", "content": [{"text": '{"celsius": 22}'}], "status": "success"}},
        {"toolResult": {"toolUseId": "call_2", "content": [{"text": "Error: upstream timeout"}], "status": "success"}},
    ]
