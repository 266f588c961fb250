"""DynamoDB answers in the emulation without moto's generic response serializer.

moto 5.2 serializes every answer by walking the operation's output shape in botocore's service model, value by value
(attribute pickers, alias lookups): 14-20% of forge dev's time under webhook load, most of it for item operations
whose answer is already DynamoDB's JSON (items as attribute-value maps, counts, keys). For those operations the
answer is written with `json.dumps` (only the output shape's members; binary attributes base64-encoded, as the JSON
protocol does); anything else
(control-plane operations, timestamps, errors) still goes through moto's serializer.
tests/integration/test_dynamodb_responses.py checks both give the same JSON for every operation listed here.
"""

from __future__ import annotations

import base64
import functools
import json
from typing import Any

ITEM_OPERATIONS = frozenset(
    {
        "GetItem",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "Query",
        "Scan",
        "BatchGetItem",
        "BatchWriteItem",
        "TransactGetItems",
        "TransactWriteItems",
    }
)
_CONTENT_TYPE = "application/x-amz-json-1.0"
_installed = False


def install_dynamodb_responses() -> None:
    """Idempotent; call before the emulation serves requests."""
    global _installed
    if _installed:
        return
    from moto.dynamodb.responses import DynamoHandler

    serialized = DynamoHandler.serialized

    def serialize_items_directly(self: Any, action_result: Any) -> Any:
        body = _item_answer(self._get_action(), action_result.result)
        if body is None:
            return serialized(self, action_result)
        headers = {"Content-Type": _CONTENT_TYPE}
        headers.update(self.response_headers)
        return 200, headers, body

    DynamoHandler.serialized = serialize_items_directly  # type: ignore[method-assign]
    _installed = True


def _item_answer(action: str, result: Any) -> str | None:
    """The JSON body of an item operation's successful answer; None when moto's serializer must write it."""
    if action not in ITEM_OPERATIONS or not isinstance(result, dict):
        return None
    members = _output_members(action)
    try:
        # Only the operation's output members, as the serializer writes them (moto adds legacy extras).
        return json.dumps({key: value for key, value in result.items() if key in members}, default=_binary)
    except TypeError:  # a value JSON has no plain form for (a timestamp): moto's serializer knows its shape
        return None


@functools.cache
def _output_members(action: str) -> frozenset[str]:
    from moto.core.utils import get_service_model

    shape = get_service_model("dynamodb").operation_model(action).output_shape
    return frozenset(shape.members) if shape is not None else frozenset()


def _binary(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    raise TypeError(f"{type(value).__name__} is not an attribute value")
