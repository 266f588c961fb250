"""A self-hosted OpenAI-compatible server (Ollama, vLLM, llama.cpp's server) over the wire: base URL required,
key optional, `max_tokens`, and each server's own words for a context overflow."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from shared.agents.providers.contract import ContextTooLong, ModelTurnRequest, ProviderCall, ProviderError
from shared.agents.providers.openai_compatible import PROVIDER
from tests.unit.agents.providers.conftest import API_KEY, ModelServer

REQUEST = ModelTurnRequest(
    model_id="llama3.2",
    messages=[{"role": "user", "content": [{"text": "Weather in Paris?"}]}],
    tools=[{"name": "get_current_weather", "description": "Weather now", "inputSchema": {"type": "object"}}],
    max_tokens=256,
)
# Ollama's /v1/chat/completions answer to a tool call; versions before 0.4.5 said "stop" beside the tool calls.
OLLAMA_TOOL_CALL: dict[str, Any] = {
    "id": "chatcmpl-316",
    "object": "chat.completion",
    "created": 1733000000,
    "model": "llama3.2",
    "system_fingerprint": "fp_ollama",
    "choices": [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": "",
                "tool_calls": [
                    {
                        "id": "call_x1y2z3",
                        "index": 0,
                        "type": "function",
                        "function": {"name": "get_current_weather", "arguments": '{"location":"Paris"}'},
                    }
                ],
            },
            "finish_reason": "stop",
        }
    ],
    "usage": {"prompt_tokens": 150, "completion_tokens": 20, "total_tokens": 170},
}


def test_without_a_key_no_authorization_header_is_sent_and_the_limit_is_max_tokens(model_server: ModelServer) -> None:
    model_server.reply(OLLAMA_TOOL_CALL)

    turn = PROVIDER.converse(REQUEST, model_server.call("/v1", api_key=None))

    sent = model_server.last
    assert sent.path == "/v1/chat/completions"
    assert "authorization" not in sent.headers
    assert (sent.body["max_tokens"], "max_completion_tokens" in sent.body) == (256, False)
    assert turn.stop_reason == "tool_use"
    assert turn.tool_uses == [
        {"toolUseId": "call_x1y2z3", "name": "get_current_weather", "input": {"location": "Paris"}}
    ]
    assert turn.usage == {"input_tokens": 150, "output_tokens": 20}


def test_a_key_when_given_is_sent_as_bearer(model_server: ModelServer) -> None:
    model_server.reply(OLLAMA_TOOL_CALL)

    PROVIDER.converse(REQUEST, model_server.call("/v1"))

    assert model_server.last.headers["authorization"] == f"Bearer {API_KEY}"


def test_without_a_base_url_the_provider_says_it_needs_one() -> None:
    with pytest.raises(ProviderError, match="needs a base URL"):
        PROVIDER.converse(REQUEST, ProviderCall())


@pytest.mark.parametrize(
    "error",
    [
        {  # llama.cpp's server
            "error": {
                "code": 400,
                "message": "the request exceeds the available context size, try increasing it",
                "type": "exceed_context_size_error",
                "n_prompt_tokens": 5000,
                "n_ctx": 4096,
            }
        },
        {  # vLLM, its older top-level error
            "object": "error",
            "message": "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens "
            "(4000 in the messages, 1000 in the completion). Please reduce the length of the messages or completion.",
            "type": "BadRequestError",
            "param": None,
            "code": 400,
        },
        {  # vLLM, nested as OpenAI nests it
            "error": {
                "message": "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens.",
                "type": "BadRequestError",
                "param": None,
                "code": 400,
            }
        },
    ],
)
def test_each_servers_context_overflow_is_context_too_long(model_server: ModelServer, error: dict[str, Any]) -> None:
    model_server.reply(error, status=400)

    with pytest.raises(ContextTooLong):
        PROVIDER.converse(REQUEST, model_server.call("/v1", api_key=None))


def test_an_unknown_model_is_a_provider_error_with_the_servers_words(model_server: ModelServer) -> None:
    missing = {"error": {"message": 'model "llama9" not found, try pulling it first', "type": "api_error"}}
    model_server.reply(missing, status=404)

    with pytest.raises(ProviderError, match='HTTP 404: model "llama9" not found'):
        PROVIDER.converse(REQUEST, model_server.call("/v1", api_key=None))


def test_tool_calls_a_server_left_without_ids_get_distinct_ones(model_server: ModelServer) -> None:
    answer = copy.deepcopy(OLLAMA_TOOL_CALL)
    call = answer["choices"][0]["message"]["tool_calls"][0]
    del call["id"]
    answer["choices"][0]["message"]["tool_calls"] = [call, copy.deepcopy(call)]
    model_server.reply(answer)

    turn = PROVIDER.converse(REQUEST, model_server.call("/v1", api_key=None))

    ids = [tool_use["toolUseId"] for tool_use in turn.tool_uses]
    assert len(set(ids)) == 2
    assert all(ids)
