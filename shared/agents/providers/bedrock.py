"""Amazon Bedrock Converse: the conversation is already in its shape, so a turn is one `converse` call.

IAM authenticates the call (the function's role), so `ProviderCall.api_key` is never sent.
`AWS_ENDPOINT_URL_BEDROCK_RUNTIME` (botocore's per-service endpoint setting) points the client elsewhere, as forge dev
and the tests do.
"""

from __future__ import annotations

import re
from typing import Any

from shared.agents.providers.contract import (
    ContextTooLong,
    Message,
    ModelTurn,
    ModelTurnRequest,
    ProviderCall,
    ProviderError,
    ProviderThrottled,
    StopReason,
)

NAME = "bedrock"
# How Bedrock's models word an input over their context window in a ValidationException.
_CONTEXT_TOO_LONG = re.compile(
    r"too long|too many (input )?tokens|context (length|window)|maximum (context|input)|exceeds? .*tokens", re.I
)
_STOP_REASONS: dict[str, StopReason] = {"tool_use": "tool_use", "max_tokens": "max_tokens"}


def converse_arguments(request: ModelTurnRequest, call: ProviderCall) -> dict[str, Any]:
    """The `converse` call's parameters for one turn."""
    inference: dict[str, Any] = {"maxTokens": request.max_tokens}
    if request.temperature is not None:
        inference["temperature"] = request.temperature
    arguments: dict[str, Any] = {
        "modelId": request.model_id,
        "messages": request.messages,
        "inferenceConfig": inference,
    }
    if request.system:
        arguments["system"] = [{"text": request.system}]
    if request.tools:
        arguments["toolConfig"] = {
            "tools": [
                {
                    "toolSpec": {
                        "name": t["name"],
                        "description": t["description"],
                        "inputSchema": {"json": t["inputSchema"]},
                    }
                }
                for t in request.tools
            ]
        }
    if request.output_schema is not None:
        # The local model emulation constrains decoding to exactly this; a cloud model that ignores it is validated
        # and repaired by the agent loop.
        arguments["additionalModelRequestFields"] = {
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "answer", "schema": request.output_schema},
            }
        }
    if call.guardrail is not None:
        arguments["guardrailConfig"] = {
            "guardrailIdentifier": call.guardrail.identifier,
            "guardrailVersion": call.guardrail.version,
        }
    return arguments


class BedrockProvider:
    name = NAME

    def converse(self, request: ModelTurnRequest, call: ProviderCall) -> ModelTurn:
        from botocore.exceptions import BotoCoreError, ClientError

        from shared.aws.bedrock_runtime import converse

        try:
            response = converse(call.region, converse_arguments(request, call))
        except ClientError as error:
            raise _failure(error) from None
        except BotoCoreError as error:
            raise ProviderError(f"Bedrock could not be reached: {error}", provider=NAME) from None
        message: Message = response["output"]["message"]
        usage = response.get("usage", {})
        return ModelTurn(
            message={"role": "assistant", "content": message.get("content", [])},
            stop_reason=_STOP_REASONS.get(response.get("stopReason", ""), "end_turn"),
            usage={
                "input_tokens": int(usage.get("inputTokens", 0)),
                "output_tokens": int(usage.get("outputTokens", 0)),
            },
        )


def _failure(error: Any) -> ProviderThrottled | ContextTooLong | ProviderError:
    details = error.response.get("Error", {})
    code = str(details.get("Code", ""))
    message = f"Bedrock {code}: {details.get('Message', '')}".strip()
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    if code in ("ThrottlingException", "TooManyRequestsException"):
        return ProviderThrottled(message, provider=NAME, status=status)
    if code == "ValidationException" and _CONTEXT_TOO_LONG.search(message):
        return ContextTooLong(message, provider=NAME, status=status)
    return ProviderError(message, provider=NAME, status=status)


PROVIDER = BedrockProvider()
