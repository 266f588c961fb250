"""Waiting for an execution's end on the status change itself, not on a timer.

A sync webhook delivery and an MCP call of a standard workflow wait for its end. Where the status path (the
execution_events function, fed by EventBridge or by the local watcher) runs in this process, which the local
runtime declares with `deliver_here`, `settle_change` hands each ended record to the waiters of its execution: the
waiter wakes when the end is recorded and reads nothing more. Elsewhere (an API function in the cloud, where the
status path is another Lambda) the record is read again at growing intervals, as before; docs/executions.md
says what the cloud's signal would be and cost. Where the status path runs in another process of the same runtime
(`forge dev`'s API workers), the runtime installs an `EndRelay` (`relay_ends`) that carries each end to the waiters
of every process.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Protocol

from shared.executions.record import ended_as_applied, find_execution
from shared.executions.statuses import ENDED, ExecutionStatus
from shared.store.executions import ExecutionItem
from shared.store.tenant_scoped import TenantContext

# Where no signal comes: soon at first (most runs are short), then less often, each read costing.
_POLL_FIRST_SECONDS = 0.05
_POLL_GROWTH = 1.5
_POLL_MAX_SECONDS = 0.5


@dataclass
class _Waiter:
    woken: threading.Event = field(default_factory=threading.Event)
    record: ExecutionItem | None = None


class EndRelay(Protocol):
    """Carries ends across processes: the status path publishes each, and a waiter in any process receives it, even
    when it begins waiting after the end was published."""

    def publish(self, tenant_id: str, record: ExecutionItem) -> None: ...

    def wait(self, tenant_id: str, execution_id: str, timeout: float) -> ExecutionItem | None:
        """The ended record, or None if no end came within `timeout` (or the relay could not be reached)."""
        ...


_waiters: dict[tuple[str, str], list[_Waiter]] = {}
_lock = threading.Lock()
_delivered_here = threading.Event()
_relays: list[EndRelay] = []


def relay_ends(relay: EndRelay | None) -> None:
    """From now on ends are published to, and waited for on, `relay` (None: no relay, as before)."""
    _relays[:] = [relay] if relay is not None else []


def deliver_here(delivered: bool = True) -> None:
    """The local runtime applies every status change in this process (or stopped doing so)."""
    if delivered:
        _delivered_here.set()
    else:
        _delivered_here.clear()


def has_ended(record: ExecutionItem) -> bool:
    return ExecutionStatus(str(record.status)) in ENDED


def signal_end(tenant: TenantContext, record: ExecutionItem) -> None:
    """The status path recorded this end: its waiters in this process wake with the record as the update left it (or
    with the end alone, when it was written without reading the record, which each waiter applies to the record it
    holds: `ended_as_applied`)."""
    with _lock:
        waiting = _waiters.pop((tenant.tenant_id, str(record.execution_id)), [])
    for waiter in waiting:
        waiter.record = record
        waiter.woken.set()
    for relay in _relays:
        relay.publish(tenant.tenant_id, record)


def wait_for_end(tenant: TenantContext, record: ExecutionItem, wait_seconds: float) -> ExecutionItem:
    """The record once its execution ended, or as it stands after `wait_seconds`."""
    if has_ended(record):
        return record
    deadline = time.monotonic() + wait_seconds
    if _relays:
        ended = _relays[0].wait(tenant.tenant_id, str(record.execution_id), wait_seconds)
        if ended is not None:
            return ended_as_applied(record, ended)
        return find_execution(tenant, str(record.execution_id), consistent=True)
    if not _delivered_here.is_set():
        return _polled(tenant, record, deadline)
    key = (tenant.tenant_id, str(record.execution_id))
    waiter = _Waiter()
    with _lock:
        _waiters.setdefault(key, []).append(waiter)
    try:
        # An end applied before the waiter was registered signalled no one.
        current = find_execution(tenant, key[1], consistent=True)
        if has_ended(current):
            return current
        if waiter.woken.wait(max(0.0, deadline - time.monotonic())) and waiter.record is not None:
            return ended_as_applied(current, waiter.record)
        return current
    finally:
        with _lock:
            remaining = [other for other in _waiters.get(key, []) if other is not waiter]
            if remaining:
                _waiters[key] = remaining
            else:
                _waiters.pop(key, None)


def _polled(tenant: TenantContext, record: ExecutionItem, deadline: float) -> ExecutionItem:
    delay = _POLL_FIRST_SECONDS
    while not has_ended(record) and time.monotonic() < deadline:
        time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
        delay = min(delay * _POLL_GROWTH, _POLL_MAX_SECONDS)
        record = find_execution(tenant, str(record.execution_id), consistent=True)
    return record
