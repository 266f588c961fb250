"""Small helpers the test tiers share."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

T = TypeVar("T")


def wait_until(probe: Callable[[], T], done: Callable[[T], bool], timeout: float = 15.0, interval: float = 0.1) -> T:
    deadline = time.monotonic() + timeout
    value = probe()
    while not done(value):
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s; last value: {value!r}")
        time.sleep(interval)
        value = probe()
    return value


class _Response(Protocol):
    status_code: int
    headers: Any

    def json(self) -> Any: ...


R = TypeVar("R", bound=_Response)


def within_rate_limit(send: Callable[[], R], attempts: int = 10) -> R:
    """Sends again after the Retry-After a rate-limited 429 names, as a well-behaved client does; a basic tenant's
    burst is 20 requests, which a test of its concurrency quota (10 starts, then 10 reads or cancels) exceeds."""
    response = send()
    for _ in range(attempts):
        if response.status_code != 429 or not str(response.json().get("type", "")).endswith("/rate-limited"):
            return response
        time.sleep(float(response.headers.get("retry-after", "1")))
        response = send()
    return response


def create_keyed_table(
    client: Any,
    name: str,
    *,
    key_types: tuple[str, str] = ("S", "S"),
    stream: dict[str, Any] | None = None,
) -> None:
    """An on-demand table keyed by `pk` and `sk` (their DynamoDB types) with a global index `by-g` on the string `gk`,
    projecting everything: the shape the emulation's DynamoDB tests compare moto's answers on."""
    partition_type, sort_type = key_types
    client.create_table(
        TableName=name,
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": partition_type},
            {"AttributeName": "sk", "AttributeType": sort_type},
            {"AttributeName": "gk", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-g",
                "KeySchema": [{"AttributeName": "gk", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
        **({"StreamSpecification": stream} if stream is not None else {}),
    )
