"""The platform's own SageMaker endpoints, through `sagemaker-runtime` InvokeEndpoint (the model id is the endpoint
name; IAM signs the call, no key).

The endpoint contract (docs/agent-providers.md), JSON both ways (`application/json`):

    request   {"system": str | null, "messages": [Converse message], "tools": [{"name", "description",
               "inputSchema"}], "max_tokens": int, "temperature": float | null, "output_schema": object | null}
    answer    200 {"message": {"role": "assistant", "content": [{"text"} | {"toolUse": {"toolUseId", "name",
               "input"}}]}, "stop_reason": "end_turn" | "tool_use" | "max_tokens",
               "usage": {"input_tokens": int, "output_tokens": int}}
    failure   429 when busy; 413 {"error": {"code": "context_length_exceeded", "message"}} when the conversation
               exceeds the model's context; any other status {"error": {"message"}}

SageMaker reports an endpoint's non-2xx answer as a ModelError carrying its status and body; those map to the
contract's errors as an HTTP provider's do.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from shared.agents.providers.contract import (
    ContentBlock,
    ContextTooLong,
    Message,
    ModelTurn,
    ModelTurnRequest,
    ProviderCall,
    ProviderError,
    ProviderFailure,
    ProviderThrottled,
    StopReason,
)
from shared.agents.providers.transport import error_message
from shared.aws.sagemaker_runtime import invoke_endpoint

NAME = "sagemaker"
CONTENT_TYPE = "application/json"
_STOP_REASONS: tuple[StopReason, ...] = ("end_turn", "tool_use", "max_tokens")
_THROTTLED_CODES = frozenset({"ThrottlingException", "ModelNotReadyException"})


def endpoint_request(request: ModelTurnRequest) -> dict[str, Any]:
    return {
        "system": request.system,
        "messages": request.messages,
        "tools": request.tools,
        "max_tokens": request.max_tokens,
        "temperature": request.temperature,
        "output_schema": request.output_schema,
    }


def endpoint_model_turn(answer: Any) -> ModelTurn:
    """The endpoint's answer, checked against the contract (it is the endpoint's code, not a documented API)."""
    if not isinstance(answer, dict):
        raise _malformed("not a JSON object")
    message, stop_reason, usage = answer.get("message"), answer.get("stop_reason"), answer.get("usage")
    if (
        not isinstance(message, dict)
        or message.get("role") != "assistant"
        or not isinstance(message.get("content"), list)
    ):
        raise _malformed("`message` is not an assistant message with a content list")
    if stop_reason not in _STOP_REASONS:
        raise _malformed(f"`stop_reason` is not one of {', '.join(_STOP_REASONS)}")
    if not isinstance(usage, dict) or not all(
        isinstance(usage.get(key), int) for key in ("input_tokens", "output_tokens")
    ):
        raise _malformed("`usage` lacks integer input_tokens and output_tokens")
    checked: Message = {"role": "assistant", "content": [_content_block(block) for block in message["content"]]}
    return ModelTurn(
        message=checked,
        stop_reason=stop_reason,
        usage={"input_tokens": usage["input_tokens"], "output_tokens": usage["output_tokens"]},
    )


def _content_block(block: Any) -> ContentBlock:
    if isinstance(block, dict) and set(block) == {"text"} and isinstance(block["text"], str):
        return {"text": block["text"]}
    tool_use = block.get("toolUse") if isinstance(block, dict) and set(block) == {"toolUse"} else None
    if (
        isinstance(tool_use, dict)
        and isinstance(tool_use.get("toolUseId"), str)
        and isinstance(tool_use.get("name"), str)
        and isinstance(tool_use.get("input"), dict)
    ):
        return {"toolUse": {"toolUseId": tool_use["toolUseId"], "name": tool_use["name"], "input": tool_use["input"]}}
    raise _malformed("a content block is neither {text} nor {toolUse: {toolUseId, name, input}}")


def _malformed(reason: str) -> ProviderError:
    return ProviderError(f"{NAME}: the endpoint's answer does not follow the contract: {reason}", provider=NAME)


def endpoint_failure(endpoint: str, error: ClientError) -> ProviderFailure:
    code = str(error.response.get("Error", {}).get("Code", ""))
    if code in _THROTTLED_CODES:
        return ProviderThrottled(f"{NAME}: endpoint {endpoint} is throttling requests ({code})", provider=NAME)
    if code != "ModelError":
        message = error.response.get("Error", {}).get("Message", "")
        return ProviderError(f"{NAME}: InvokeEndpoint on {endpoint} failed: {code}: {message}", provider=NAME)
    fields: dict[str, Any] = dict(error.response)
    status = int(fields.get("OriginalStatusCode") or 0)
    original = str(fields.get("OriginalMessage") or "")
    try:
        body: Any = json.loads(original)
    except ValueError:
        body = None
    said = error_message(body) or original[:500]
    if status == 429:
        return ProviderThrottled(f"{NAME}: endpoint {endpoint} is busy (HTTP 429)", provider=NAME, status=status)
    inner = body.get("error") if isinstance(body, dict) else None
    if status == 413 or (isinstance(inner, dict) and inner.get("code") == "context_length_exceeded"):
        return ContextTooLong(
            f"{NAME}: the conversation exceeds the model's context window: {said}", provider=NAME, status=status
        )
    return ProviderError(f"{NAME}: endpoint {endpoint} answered HTTP {status}: {said}", provider=NAME, status=status)


class SageMakerProvider:
    name = NAME

    def converse(self, request: ModelTurnRequest, call: ProviderCall) -> ModelTurn:
        try:
            content = invoke_endpoint(
                call.region,
                call.timeout_seconds,
                request.model_id,
                CONTENT_TYPE,
                json.dumps(endpoint_request(request)).encode(),
            )
        except ClientError as error:
            raise endpoint_failure(request.model_id, error) from None
        except BotoCoreError as error:
            raise ProviderError(
                f"{NAME}: InvokeEndpoint on {request.model_id} failed: {error}", provider=NAME
            ) from None
        try:
            answer = json.loads(content)
        except ValueError:
            raise _malformed("not JSON") from None
        return endpoint_model_turn(answer)


PROVIDER = SageMakerProvider()
