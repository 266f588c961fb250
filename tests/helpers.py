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
