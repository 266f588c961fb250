"""Bedrock Converse for `local.*` model ids, answered in-process by the real local model (SmolLM2-135M-Instruct).

Prompts are short and answers capped at a few dozen tokens: each call takes about a second on this machine.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import boto3
import httpx
import jsonschema  # type: ignore[import-untyped]
import pytest
from botocore.config import Config
from botocore.exceptions import EndpointConnectionError

from devserver.bedrock_runtime import LocalBedrockRuntime
from devserver.emulation import LOCAL_REGION
from devserver.local_model import LOCAL_MODELS

MODEL_ID = "local.smollm2-135m-instruct"
SENTIMENT = {
    "type": "object",
    "properties": {"sentiment": {"enum": ["positive", "negative"]}},
    "required": ["sentiment"],
    "additionalProperties": False,
}
WEATHER_TOOL: dict[str, Any] = {
    "toolSpec": {
        "name": "get_weather",
        "description": "The weather forecast of a city.",
        "inputSchema": {"json": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}},
    }
}


@pytest.fixture
def bedrock(emulated_aws) -> Any:
    """A client of the emulation, as a handler in `forge dev` makes it."""
    return boto3.client("bedrock-runtime", region_name=LOCAL_REGION)


@pytest.fixture
def session() -> boto3.Session:
    """A session with the hook alone, for calls refused before any model or emulated resource is involved."""
    hooked = boto3.Session(region_name=LOCAL_REGION)
    LocalBedrockRuntime().install(hooked)
    return hooked


def _ask(text: str) -> list[dict]:
    return [{"role": "user", "content": [{"text": text}]}]


def test_a_plain_answer_has_converse_shape(bedrock) -> None:
    response = bedrock.converse(
        modelId=MODEL_ID,
        system=[{"text": "Answer in one short sentence."}],
        messages=_ask("Say hello."),
        inferenceConfig={"maxTokens": 32, "temperature": 0},
    )
    message = response["output"]["message"]
    assert message["role"] == "assistant"
    assert message["content"][0]["text"].strip()
    assert response["stopReason"] in {"end_turn", "max_tokens"}
    usage = response["usage"]
    assert usage["inputTokens"] > 0
    assert 0 < usage["outputTokens"] <= 32
    assert usage["totalTokens"] == usage["inputTokens"] + usage["outputTokens"]
    assert isinstance(response["metrics"]["latencyMs"], int)


def test_an_answer_constrained_to_a_json_schema_validates(bedrock) -> None:
    response = bedrock.converse(
        modelId=MODEL_ID,
        system=[{"text": "Classify the sentiment of the review."}],
        messages=_ask("I love this blender."),
        inferenceConfig={"maxTokens": 32},
        additionalModelRequestFields={
            "response_format": {"type": "json_schema", "json_schema": {"name": "sentiment", "schema": SENTIMENT}}
        },
    )
    assert response["stopReason"] == "end_turn"
    jsonschema.validate(json.loads(response["output"]["message"]["content"][0]["text"]), SENTIMENT)


def test_max_tokens_caps_the_answer(bedrock) -> None:
    response = bedrock.converse(
        modelId=MODEL_ID,
        messages=_ask("Count from one to one hundred in words."),
        inferenceConfig={"maxTokens": 8, "temperature": 0},
    )
    assert response["usage"]["outputTokens"] <= 8
    assert response["stopReason"] == "max_tokens"


def test_a_required_tool_is_called_with_input_valid_for_its_schema(bedrock) -> None:
    response = bedrock.converse(
        modelId=MODEL_ID,
        messages=_ask("What is the weather in Paris?"),
        inferenceConfig={"maxTokens": 32, "temperature": 0},
        toolConfig={"tools": [WEATHER_TOOL], "toolChoice": {"tool": {"name": "get_weather"}}},
    )
    assert response["stopReason"] == "tool_use"
    tool_use = response["output"]["message"]["content"][0]["toolUse"]
    assert tool_use["name"] == "get_weather"
    assert tool_use["toolUseId"].startswith("tooluse_")
    jsonschema.validate(tool_use["input"], WEATHER_TOOL["toolSpec"]["inputSchema"]["json"])


def test_a_tool_result_is_read_back(bedrock) -> None:
    call = {"toolUse": {"toolUseId": "tooluse_1", "name": "get_weather", "input": {"city": "Paris"}}}
    result = {
        "toolResult": {"toolUseId": "tooluse_1", "content": [{"json": {"forecast": "sunny"}}], "status": "success"}
    }
    response = bedrock.converse(
        modelId=MODEL_ID,
        messages=[
            *_ask("What is the weather in Paris?"),
            {"role": "assistant", "content": [call]},
            {"role": "user", "content": [result]},
        ],
        inferenceConfig={"maxTokens": 24, "temperature": 0},
        toolConfig={"tools": [WEATHER_TOOL]},
    )
    assert response["stopReason"] in {"end_turn", "max_tokens", "tool_use"}
    assert response["usage"]["inputTokens"] > 0


def test_calls_at_the_same_time_each_get_their_own_answer(bedrock) -> None:
    """Executions run agents concurrently; the model answers one call at a time and none is lost or mixed up."""
    with ThreadPoolExecutor(max_workers=3) as pool:
        responses = list(
            pool.map(
                lambda limit: bedrock.converse(
                    modelId=MODEL_ID,
                    messages=_ask("Tell me a story."),
                    inferenceConfig={"maxTokens": limit, "temperature": 0},
                ),
                (2, 3, 4),
            )
        )
    assert [response["usage"]["outputTokens"] for response in responses] == [2, 3, 4]


def test_a_streamed_answer_arrives_as_converse_stream_events(bedrock) -> None:
    response = bedrock.converse_stream(
        modelId=MODEL_ID, messages=_ask("Say hello."), inferenceConfig={"maxTokens": 16, "temperature": 0}
    )
    events = list(response["stream"])
    assert events[0] == {"messageStart": {"role": "assistant"}}
    deltas = [event["contentBlockDelta"]["delta"]["text"] for event in events if "contentBlockDelta" in event]
    assert len(deltas) > 1
    assert "".join(deltas).strip()
    assert events[-3] == {"contentBlockStop": {"contentBlockIndex": 0}}
    assert events[-2]["messageStop"]["stopReason"] in {"end_turn", "max_tokens"}
    assert 0 < events[-1]["metadata"]["usage"]["outputTokens"] <= 16


def test_a_streamed_tool_call_arrives_whole_with_its_input_as_json(bedrock) -> None:
    response = bedrock.converse_stream(
        modelId=MODEL_ID,
        messages=_ask("What is the weather in Paris?"),
        inferenceConfig={"maxTokens": 32, "temperature": 0},
        toolConfig={"tools": [WEATHER_TOOL], "toolChoice": {"any": {}}},
    )
    events = list(response["stream"])
    start = next(event["contentBlockStart"]["start"]["toolUse"] for event in events if "contentBlockStart" in event)
    assert start["name"] == "get_weather"
    (delta,) = [event["contentBlockDelta"]["delta"]["toolUse"] for event in events if "contentBlockDelta" in event]
    jsonschema.validate(json.loads(delta["input"]), WEATHER_TOOL["toolSpec"]["inputSchema"]["json"])
    assert events[-2] == {"messageStop": {"stopReason": "tool_use"}}


@pytest.mark.parametrize(
    ("model_id", "error"),
    [("local.no-such-model", "ValidationException"), ("amazon.nova-lite-v1:0", "AccessDeniedException")],
)
def test_a_model_the_local_platform_does_not_serve_is_refused_as_bedrock_would(session, model_id, error) -> None:
    bedrock = session.client("bedrock-runtime")
    with pytest.raises(getattr(bedrock.exceptions, error)) as refused:
        bedrock.converse(modelId=model_id, messages=_ask("Hello?"))
    message = refused.value.response["Error"]["Message"]
    assert MODEL_ID in message
    assert "openai_compatible" in message
    assert "Ollama" in message
    with pytest.raises(getattr(bedrock.exceptions, error)):
        bedrock.converse_stream(modelId=model_id, messages=_ask("Hello?"))


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"response_format": {"type": "json_object"}}, "additionalModelRequestFields.response_format.type"),
        (
            {"response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "strin"}}}},
            "additionalModelRequestFields.response_format.json_schema.schema",
        ),
        ({"top_k": 5}, "extraneous key [top_k]"),
    ],
)
def test_bad_additional_model_request_fields_are_a_validation_exception_naming_them(session, fields, named) -> None:
    bedrock = session.client("bedrock-runtime")
    with pytest.raises(bedrock.exceptions.ValidationException, match=named.replace("[", r"\[")):
        bedrock.converse(modelId=MODEL_ID, messages=_ask("Hello?"), additionalModelRequestFields=fields)


def test_another_model_sent_to_another_endpoint_is_not_answered_locally(session) -> None:
    """A test's scripted Bedrock on loopback gets its calls: only `local.*` ids are answered wherever they go."""
    elsewhere = session.client(
        "bedrock-runtime",
        endpoint_url="http://127.0.0.1:9",
        config=Config(retries={"max_attempts": 1}, connect_timeout=1),
    )
    with pytest.raises(EndpointConnectionError):
        elsewhere.converse(modelId="amazon.nova-lite-v1:0", messages=_ask("Hello?"))


def test_the_models_own_listener_is_on_loopback_and_refuses_requests_without_its_key(bedrock) -> None:
    bedrock.converse(modelId=MODEL_ID, messages=_ask("Hi."), inferenceConfig={"maxTokens": 1})
    listener = LOCAL_MODELS[MODEL_ID].listener_url
    assert listener is not None
    assert urlsplit(listener).hostname == "127.0.0.1"
    for path in ("/v1/models", "/v1/chat/completions", "/completion"):
        refused = httpx.post(listener + path, json={"prompt": "Hi.", "messages": [{"role": "user", "content": "Hi."}]})
        assert refused.status_code == 401, path
