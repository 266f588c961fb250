"""The CloudWatch Logs subscription event (`{"awslogs": {"data": <base64 of gzip of JSON>}}`), for functions a
subscription filter invokes.

Powertools' CloudWatchLogsEvent data class decodes the same, but importing it loads every event source data class
(about 50 ms of cold start, as for shared/aws/eventbridge.py), and a pydantic model of the batch costs about 14 ms
to build at import: the decoding is three standard-library calls and the batch is read as the JSON it is.
"""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any


def is_logs_subscription_event(event: dict[str, Any]) -> bool:
    return isinstance(event.get("awslogs"), dict)


def decode_logs_data(event: dict[str, Any]) -> dict[str, Any]:
    """The batch: `messageType`, `owner`, `logGroup`, `logStream`, `subscriptionFilters`, `logEvents`."""
    data: dict[str, Any] = json.loads(gzip.decompress(base64.b64decode(event["awslogs"]["data"])))
    return data


def log_messages(event: dict[str, Any]) -> list[str]:
    """The messages of the batch's log events, in order; none in a `CONTROL_MESSAGE` (CloudWatch Logs' probe that
    the destination is reachable)."""
    data = decode_logs_data(event)
    if data.get("messageType") != "DATA_MESSAGE":
        return []
    return [str(log_event["message"]) for log_event in data.get("logEvents") or []]


def encode_logs_data(data: dict[str, Any]) -> dict[str, Any]:
    """The subscription event carrying `data`: how CloudWatch Logs wraps a batch (the tests' and tools' side)."""
    return {"awslogs": {"data": base64.b64encode(gzip.compress(json.dumps(data).encode())).decode()}}
