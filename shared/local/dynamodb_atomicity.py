"""DynamoDB's per-item atomicity, for the emulation: moto checks a condition and then writes, and snapshots whole
tables for a transaction, without a lock. Concurrent requests (`forge dev` serves them on threads) could then both
pass the same condition — two executions for one idempotency key — or fail copying a table another thread is
changing. One lock around moto's item operations makes each one atomic, as DynamoDB is.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

_OPERATIONS = ("put_item", "get_item", "query", "scan", "update_item", "delete_item", "transact_write_items")
_lock = threading.RLock()
_installed = False


def install_dynamodb_atomicity() -> None:
    """Idempotent; call before the emulation serves requests."""
    global _installed
    if _installed:
        return
    from moto.dynamodb.models import DynamoDBBackend

    for name in _OPERATIONS:
        setattr(DynamoDBBackend, name, _serialised(getattr(DynamoDBBackend, name)))
    _installed = True


def _serialised(operation: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(operation)
    def run(*args: Any, **kwargs: Any) -> Any:
        with _lock:
            return operation(*args, **kwargs)

    return run
