"""Bedrock Runtime: Converse (the bedrock model provider's call) and InvokeModel with JSON bodies (embeddings)."""

from __future__ import annotations

import json
from typing import Any

from shared.aws.clients import bedrock_runtime_client


def converse(region: str | None, arguments: dict[str, Any]) -> dict[str, Any]:
    """One Converse call with its request as botocore names it; botocore's errors pass through to the caller."""
    response: dict[str, Any] = bedrock_runtime_client(region).converse(**arguments)
    return response


def invoke_model_json(region: str | None, model_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """One InvokeModel call with a JSON body, answered with the model's JSON response."""
    response = bedrock_runtime_client(region).invoke_model(
        modelId=model_id, body=json.dumps(body), contentType="application/json", accept="application/json"
    )
    answer: dict[str, Any] = json.loads(response["body"].read())
    return answer
