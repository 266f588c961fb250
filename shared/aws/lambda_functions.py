"""The Lambda calls the domain makes: handing an event to another function asynchronously."""

from __future__ import annotations

import json
from typing import Any

from shared.aws.clients import lambda_client


def invoke_asynchronously(function_arn: str, event: dict[str, Any]) -> None:
    """Queues the event for the function (InvocationType Event: Lambda answers 202 at once and retries a failed
    invocation twice, then keeps it in the function's dead-letter queue)."""
    lambda_client().invoke(FunctionName=function_arn, InvocationType="Event", Payload=json.dumps(event).encode())
