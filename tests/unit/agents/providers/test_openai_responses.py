"""OpenAI's Responses API over the wire: input items, function calls and their outputs, text.format, usage."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from shared.agents.providers.contract import ContextTooLong, Message, ModelTurnRequest, ProviderThrottled
from shared.agents.providers.openai_responses import PROVIDER, converse_messages, input_items
from tests.unit.agents.providers.conftest import API_KEY, ModelServer
from tests.unit.agents.providers.converse_strategies import conversations, tool_results

WEATHER_SCHEMA = {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}
CONVERSATION: list[Message] = [
    {"role": "user", "content": [{"text": "Weather in Paris and Bogotá?"}]},
    {
        "role": "assistant",
        "content": [
            {"toolUse": {"toolUseId": "call_1", "name": "get_weather", "input": {"location": "Paris, France"}}},
            {"toolUse": {"toolUseId": "call_2", "name": "get_weather", "input": {"location": "Bogotá, Colombia"}}},
        ],
    },
    {
        "role": "user",
        "content": [
            {"toolResult": {"toolUseId": "call_1", "content": [{"json": {"celsius": 14}}], "status": "success"}},
            {"toolResult": {"toolUseId": "call_2", "content": [{"text": "station offline"}], "status": "error"}},
        ],
    },
]
# The API reference's function-calling example (parallel calls), with the reasoning item a reasoning model adds.
FUNCTION_CALLS: dict[str, Any] = {
    "id": "resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b",
    "object": "response",
    "created_at": 1741476542,
    "status": "completed",
    "error": None,
    "incomplete_details": None,
    "model": "gpt-4.1-2025-04-14",
    "output": [
        {"type": "reasoning", "id": "rs_6806bfca0b2481918a5748308061a2600d3ce51bdffd5476", "summary": []},
        {
            "type": "function_call",
            "id": "fc_12345xyz",
            "call_id": "call_12345xyz",
            "name": "get_weather",
            "arguments": '{"location":"Paris, France"}',
            "status": "completed",
        },
        {
            "type": "function_call",
            "id": "fc_67890abc",
            "call_id": "call_67890abc",
            "name": "get_weather",
            "arguments": '{"location":"Bogotá, Colombia"}',
            "status": "completed",
        },
    ],
    "usage": {
        "input_tokens": 36,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": 87,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": 123,
    },
}


def _text_answer(text: str, *, incomplete: bool = False) -> dict[str, Any]:
    answer = copy.deepcopy(FUNCTION_CALLS)
    answer["output"] = [
        {
            "type": "message",
            "id": "msg_67b73f697ba4819183a15cc17d011509",
            "status": "incomplete" if incomplete else "completed",
            "role": "assistant",
            "content": [{"type": "output_text", "text": text, "annotations": []}],
        }
    ]
    if incomplete:
        answer["status"], answer["incomplete_details"] = "incomplete", {"reason": "max_output_tokens"}
    return answer


def test_the_request_holds_input_items_function_tools_and_the_output_format(model_server: ModelServer) -> None:
    model_server.reply(_text_answer('{"summary": "mild"}'))
    schema = {"type": "object", "properties": {"summary": {"type": "string"}}}

    PROVIDER.converse(
        ModelTurnRequest(
            model_id="gpt-4.1",
            messages=CONVERSATION,
            system="Be brief.",
            tools=[{"name": "get_weather", "description": "Weather now", "inputSchema": WEATHER_SCHEMA}],
            output_schema=schema,
            max_tokens=500,
        ),
        model_server.call("/v1"),
    )

    sent = model_server.last
    assert (sent.path, sent.headers["authorization"]) == ("/v1/responses", f"Bearer {API_KEY}")
    assert {key: sent.body[key] for key in ("model", "instructions", "max_output_tokens", "store")} == {
        "model": "gpt-4.1",
        "instructions": "Be brief.",
        "max_output_tokens": 500,
        "store": False,
    }
    assert sent.body["tools"] == [
        {
            "type": "function",
            "name": "get_weather",
            "description": "Weather now",
            "parameters": WEATHER_SCHEMA,
            "strict": False,
        }
    ]
    assert sent.body["text"] == {"format": {"type": "json_schema", "name": "answer", "schema": schema, "strict": False}}
    assert sent.body["input"] == [
        {"role": "user", "content": "Weather in Paris and Bogotá?"},
        {
            "type": "function_call",
            "call_id": "call_1",
            "name": "get_weather",
            "arguments": '{"location": "Paris, France"}',
        },
        {
            "type": "function_call",
            "call_id": "call_2",
            "name": "get_weather",
            "arguments": '{"location": "Bogotá, Colombia"}',
        },
        {"type": "function_call_output", "call_id": "call_1", "output": '{"celsius": 14}'},
        {"type": "function_call_output", "call_id": "call_2", "output": "Error: station offline"},
    ]


def test_parallel_function_calls_come_back_as_tool_uses_and_reasoning_is_not_kept(model_server: ModelServer) -> None:
    model_server.reply(FUNCTION_CALLS)

    turn = PROVIDER.converse(ModelTurnRequest(model_id="gpt-4.1", messages=CONVERSATION[:1]), model_server.call("/v1"))

    assert turn.stop_reason == "tool_use"
    assert turn.message == {
        "role": "assistant",
        "content": [
            {"toolUse": {"toolUseId": "call_12345xyz", "name": "get_weather", "input": {"location": "Paris, France"}}},
            {
                "toolUse": {
                    "toolUseId": "call_67890abc",
                    "name": "get_weather",
                    "input": {"location": "Bogotá, Colombia"},
                }
            },
        ],
    }
    assert turn.usage == {"input_tokens": 36, "output_tokens": 87}


@pytest.mark.parametrize(("incomplete", "stop_reason"), [(False, "end_turn"), (True, "max_tokens")])
def test_a_text_answer_reads_back_with_its_stop_reason(model_server: ModelServer, incomplete, stop_reason) -> None:
    model_server.reply(_text_answer("Mild in Paris.", incomplete=incomplete))

    turn = PROVIDER.converse(ModelTurnRequest(model_id="gpt-4.1", messages=CONVERSATION[:1]), model_server.call("/v1"))

    assert (turn.text, turn.stop_reason) == ("Mild in Paris.", stop_reason)


def test_context_length_exceeded_and_429_map_to_their_node_errors(model_server: ModelServer) -> None:
    overflow = {
        "error": {
            "message": "Your input exceeds the context window of this model. Please adjust your input and try again.",
            "type": "invalid_request_error",
            "param": "input",
            "code": "context_length_exceeded",
        }
    }
    model_server.reply(overflow, status=400)
    model_server.reply(
        {"error": {"message": "Rate limit reached", "code": "rate_limit_exceeded"}}, 429, {"retry-after": "3"}
    )
    request = ModelTurnRequest(model_id="gpt-4.1", messages=CONVERSATION[:1])

    with pytest.raises(ContextTooLong, match="exceeds the context window"):
        PROVIDER.converse(request, model_server.call("/v1"))
    with pytest.raises(ProviderThrottled, match="Retry-After: 3"):
        PROVIDER.converse(request, model_server.call("/v1"))


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conversations(tool_results(one_text_block=True, with_errors=False)))
def test_converse_messages_round_trip_through_input_items(messages: list[Message]) -> None:
    assert converse_messages("openai_responses", input_items(messages)) == messages


def test_an_error_result_and_a_json_result_read_back_as_successful_text() -> None:
    back = converse_messages("openai_responses", input_items(CONVERSATION))

    assert back[2]["content"] == [
        {"toolResult": {"toolUseId": "call_1", "content": [{"text": '{"celsius": 14}'}], "status": "success"}},
        {"toolResult": {"toolUseId": "call_2", "content": [{"text": "Error: station offline"}], "status": "success"}},
    ]
