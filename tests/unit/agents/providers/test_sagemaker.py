"""SageMaker endpoints through `sagemaker-runtime` InvokeEndpoint, answered at the botocore boundary by forge dev's
local endpoints (devserver/sagemaker_runtime.py), as Lambda Invoke is: the request document, the answer, the
errors SageMaker reports for an endpoint's non-2xx answers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from devserver.sagemaker_runtime import ECHO_ENDPOINT, LocalEndpointFailure, LocalSageMakerEndpoints, echo_endpoint
from shared.agents.providers.contract import (
    ContextTooLong,
    Message,
    ModelTurnRequest,
    ProviderCall,
    ProviderError,
    ProviderFailure,
    ProviderThrottled,
)
from shared.agents.providers.sagemaker import PROVIDER, endpoint_failure
from shared.aws import clients

CALL = ProviderCall(region="us-east-1")
CONVERSATION: list[Message] = [
    {"role": "user", "content": [{"text": "Classify: the invoice is overdue"}]},
    {
        "role": "assistant",
        "content": [{"toolUse": {"toolUseId": "t1", "name": "lookup", "input": {"invoice": "INV-7"}}}],
    },
    {
        "role": "user",
        "content": [{"toolResult": {"toolUseId": "t1", "content": [{"json": {"days": 12}}], "status": "success"}}],
    },
]
TOOL_ANSWER = {
    "message": {
        "role": "assistant",
        "content": [
            {"text": "Two lookups."},
            {"toolUse": {"toolUseId": "t2", "name": "lookup", "input": {"invoice": "INV-8"}}},
            {"toolUse": {"toolUseId": "t3", "name": "lookup", "input": {"invoice": "INV-9"}}},
        ],
    },
    "stop_reason": "tool_use",
    "usage": {"input_tokens": 40, "output_tokens": 12},
}


class RecordingEndpoint:
    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.requests: list[dict[str, Any]] = []

    def __call__(self, request: dict[str, Any]) -> dict[str, Any]:
        self.requests.append(request)
        if isinstance(self.answer, LocalEndpointFailure):
            raise self.answer
        return dict(self.answer)


@pytest.fixture
def endpoints() -> Iterator[LocalSageMakerEndpoints]:
    """forge dev's local endpoints on a fresh default boto3 session, as the emulation installs them."""
    saved = boto3.DEFAULT_SESSION
    boto3.setup_default_session(region_name="us-east-1")
    clients.sagemaker_runtime_client.cache_clear()
    local = LocalSageMakerEndpoints("123456789012")
    local.install()
    yield local
    clients.sagemaker_runtime_client.cache_clear()
    boto3.DEFAULT_SESSION = saved


def test_the_endpoint_gets_the_contracts_request_and_its_answer_is_the_turn(endpoints: LocalSageMakerEndpoints) -> None:
    endpoint = RecordingEndpoint(TOOL_ANSWER)
    endpoints.handlers["invoice-classifier"] = endpoint
    tool = {"name": "lookup", "description": "Find an invoice", "inputSchema": {"type": "object"}}

    turn = PROVIDER.converse(
        ModelTurnRequest(
            model_id="invoice-classifier",
            messages=CONVERSATION,
            system="Be brief.",
            tools=[tool],  # type: ignore[list-item]
            max_tokens=64,
            output_schema={"type": "object"},
        ),
        CALL,
    )

    assert endpoint.requests == [
        {
            "system": "Be brief.",
            "messages": CONVERSATION,
            "tools": [tool],
            "max_tokens": 64,
            "temperature": None,
            "output_schema": {"type": "object"},
        }
    ]
    assert (turn.message, turn.stop_reason, turn.usage) == (
        TOOL_ANSWER["message"],
        "tool_use",
        {"input_tokens": 40, "output_tokens": 12},
    )


def test_the_built_in_local_endpoint_answers_the_last_user_text(endpoints: LocalSageMakerEndpoints) -> None:
    turn = PROVIDER.converse(ModelTurnRequest(model_id=ECHO_ENDPOINT, messages=CONVERSATION[:1]), CALL)

    assert (turn.text, turn.stop_reason) == ("Classify: the invoice is overdue", "end_turn")
    assert echo_endpoint({"messages": CONVERSATION[:1]})["usage"] == turn.usage


def test_an_unknown_endpoint_is_a_provider_error_naming_it(endpoints: LocalSageMakerEndpoints) -> None:
    with pytest.raises(
        ProviderError, match="ValidationError: Endpoint no-such-model of account 123456789012 not found"
    ):
        PROVIDER.converse(ModelTurnRequest(model_id="no-such-model", messages=CONVERSATION[:1]), CALL)


@pytest.mark.parametrize(
    ("failure", "raised", "words"),
    [
        (LocalEndpointFailure(429, {"error": {"message": "busy"}}), ProviderThrottled, "busy"),
        (
            LocalEndpointFailure(413, {"error": {"code": "context_length_exceeded", "message": "8192 tokens at most"}}),
            ContextTooLong,
            "8192 tokens at most",
        ),
        (
            LocalEndpointFailure(400, {"error": {"code": "context_length_exceeded", "message": "8192 tokens at most"}}),
            ContextTooLong,
            "8192 tokens at most",
        ),
        (LocalEndpointFailure(500, {"error": {"message": "CUDA out of memory"}}), ProviderError, "CUDA out of memory"),
    ],
)
def test_an_endpoints_failure_maps_to_the_node_error(
    endpoints: LocalSageMakerEndpoints, failure: LocalEndpointFailure, raised: type, words: str
) -> None:
    endpoints.handlers["invoice-classifier"] = RecordingEndpoint(failure)

    with pytest.raises(ProviderFailure) as caught:
        PROVIDER.converse(ModelTurnRequest(model_id="invoice-classifier", messages=CONVERSATION[:1]), CALL)

    assert type(caught.value) is raised
    assert raised is ProviderThrottled or words in str(caught.value)


@pytest.mark.parametrize(
    "answer",
    [
        {**TOOL_ANSWER, "usage": {"input_tokens": 1}},
        {**TOOL_ANSWER, "stop_reason": "done"},
        {**TOOL_ANSWER, "message": {"role": "assistant", "content": [{"image": {}}]}},
    ],
)
def test_an_answer_outside_the_contract_is_a_provider_error(endpoints: LocalSageMakerEndpoints, answer) -> None:
    endpoints.handlers["invoice-classifier"] = RecordingEndpoint(answer)

    with pytest.raises(ProviderError, match="does not follow the contract"):
        PROVIDER.converse(ModelTurnRequest(model_id="invoice-classifier", messages=CONVERSATION[:1]), CALL)


@pytest.mark.parametrize(
    ("code", "raised"),
    [
        ("ThrottlingException", ProviderThrottled),
        ("ModelNotReadyException", ProviderThrottled),
        ("ServiceUnavailable", ProviderError),
        ("InternalFailure", ProviderError),
    ],
)
def test_sagemakers_own_errors_map_to_node_errors(code: str, raised: type) -> None:
    error = ClientError({"Error": {"Code": code, "Message": "Rate exceeded"}}, "InvokeEndpoint")

    failure = endpoint_failure("invoice-classifier", error)

    assert type(failure) is raised
    assert "invoice-classifier" in str(failure)
