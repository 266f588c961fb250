"""Bedrock Runtime's Converse call (the bedrock model provider's one AWS call)."""

from __future__ import annotations

from typing import Any

from shared.aws.clients import bedrock_runtime_client


def converse(region: str | None, arguments: dict[str, Any]) -> dict[str, Any]:
    """One Converse call with its request as botocore names it; botocore's errors pass through to the caller."""
    response: dict[str, Any] = bedrock_runtime_client(region).converse(**arguments)
    return response
