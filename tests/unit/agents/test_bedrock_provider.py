"""The Bedrock provider over Converse's real wire protocol: the request it sends, the turn it reads, its errors."""

from __future__ import annotations

import pytest

from devserver.scripted_converse import ConverseError, answer, scripted_model, tool_calls
from shared.agents.providers.contract import (
    ContextTooLong,
    Guardrail,
    ModelTurnRequest,
    ProviderCall,
    ProviderError,
    ProviderThrottled,
)
from shared.agents.providers.registry import provider

SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
REQUEST = ModelTurnRequest(
    model_id="anthropic.claude-3-haiku-20240307-v1:0",
    messages=[{"role": "user", "content": [{"text": "Where is the Louvre?"}]}],
    system="Answer briefly.",
    tools=[{"name": "lookup", "description": "Looks a place up", "inputSchema": SCHEMA}],
    max_tokens=256,
    temperature=0.2,
    output_schema=SCHEMA,
)


def test_a_turn_sends_the_conversation_tools_schema_and_guardrail() -> None:
    with scripted_model(lambda body: tool_calls(("t1", "lookup", {"place": "Louvre"}))) as model:
        turn = provider("bedrock").converse(REQUEST, ProviderCall(region="eu-west-1", guardrail=Guardrail("gr1", "2")))
    sent = model.requests[0]
    assert sent.model_id == REQUEST.model_id
    assert sent.body["messages"] == REQUEST.messages
    assert sent.body["system"] == [{"text": "Answer briefly."}]
    assert sent.body["inferenceConfig"] == {"maxTokens": 256, "temperature": 0.2}
    assert sent.body["toolConfig"]["tools"][0]["toolSpec"]["inputSchema"] == {"json": SCHEMA}
    assert sent.body["additionalModelRequestFields"] == {
        "response_format": {"type": "json_schema", "json_schema": {"name": "answer", "schema": SCHEMA}}
    }
    assert sent.body["guardrailConfig"] == {"guardrailIdentifier": "gr1", "guardrailVersion": "2"}
    assert turn.stop_reason == "tool_use"
    assert turn.tool_uses == [{"toolUseId": "t1", "name": "lookup", "input": {"place": "Louvre"}}]
    assert turn.usage == {"input_tokens": 20, "output_tokens": 8}


def test_a_final_answer_is_read_as_text() -> None:
    with scripted_model(lambda body: answer("Paris", 7, 1)):
        turn = provider("bedrock").converse(REQUEST, ProviderCall())
    assert (turn.text, turn.stop_reason, turn.usage) == ("Paris", "end_turn", {"input_tokens": 7, "output_tokens": 1})


@pytest.mark.parametrize(
    ("failure", "expected", "error"),
    [
        (ConverseError(429, "ThrottlingException", "Too many requests"), ProviderThrottled, "Agent.Throttled"),
        (
            ConverseError(400, "ValidationException", "Input is too long for requested model."),
            ContextTooLong,
            "Agent.ContextTooLong",
        ),
        (ConverseError(400, "ValidationException", "The model id is not valid"), ProviderError, "Agent.ProviderError"),
        (ConverseError(424, "ModelErrorException", "The model failed"), ProviderError, "Agent.ProviderError"),
    ],
)
def test_errors_map_to_stable_node_errors(failure: ConverseError, expected: type[Exception], error: str) -> None:
    with scripted_model(lambda body: failure), pytest.raises(expected) as raised:
        provider("bedrock").converse(REQUEST, ProviderCall())
    assert raised.value.error == error  # type: ignore[attr-defined]
    assert raised.value.provider == "bedrock"  # type: ignore[attr-defined]
    assert failure.message in str(raised.value)
