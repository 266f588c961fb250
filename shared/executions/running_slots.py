"""The running slots of the concurrent-execution quotas: the tenant's counter and, for a workflow with a
`max_concurrency`, the workflow's. Starting an execution takes them in its own transaction (shared/executions/start.py);
an execution's end gives them back in the transaction that writes the end (shared/executions/record.py), so that no one
sees an ended record whose slots are still taken; a redrive takes them again (control.py). Kept apart from start.py so
that applying a status change does not load what starting an execution needs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from shared.store.executions import RunningCounterItem, RunningExecutions
from shared.store.scoped_connections import own_connections
from shared.store.tenant_scoped import TenantContext

CONDITION_FAILED = "ConditionalCheckFailed"


def transactions_connection() -> Connection:
    """The function's own connection, whose one botocore client every table's calls share."""
    return own_connections().connection()


def release_running_slot(tenant: TenantContext, workflow_id: str | None = None) -> None:
    """Gives back the running slot of an execution that ended (and its workflow's slot, when it took one of the
    workflow's `max_concurrency`: pass `workflow_id`); never below zero. One round trip either way."""
    running = RunningExecutions(tenant)
    if workflow_id is None:
        release_one(running.counter())
        return
    counters = [running.counter(), running.workflow_counter(workflow_id)]
    try:
        with TransactWrite(connection=transactions_connection()) as transaction:
            for counter in counters:
                transaction.update(
                    counter, actions=[RunningCounterItem.running.add(-1)], condition=RunningCounterItem.running > 0
                )
    except TransactWriteError as error:
        reasons = [reason.code if reason else None for reason in error.cancellation_reasons or []]
        if CONDITION_FAILED not in reasons:
            raise
        # A counter already at zero (a repaired drift): give back the others one by one.
        for counter, reason in zip(counters, reasons, strict=False):
            if reason != CONDITION_FAILED:
                release_one(counter)


@dataclass(frozen=True)
class EndRefused:
    """The end's own condition refused it, and nothing was written. `item`: the record as the condition found it (raw),
    when the end asked for it (`ReturnValuesOnConditionCheckFailure` ALL_OLD) and the record exists."""

    item: dict[str, Any] | None


def end_with_slots_back(
    tenant: TenantContext,
    workflow_id: str | None,
    write_end: Callable[[TransactWrite], None],
    write_also: Callable[[TransactWrite], None] | None = None,
) -> EndRefused | None:
    """Writes an execution's end (`write_end` adds it to the transaction, as its first item) and gives back its running
    slots (the workflow's too, given `workflow_id`) in the same transaction: one round trip. `write_also` adds
    unconditional writes after those (the measured performance of the marketplace items it ran). None once written;
    an `EndRefused` when the end's own condition refused it, and then nothing is written."""
    running = RunningExecutions(tenant)
    counters = [running.counter()] + ([running.workflow_counter(workflow_id)] if workflow_id else [])
    while True:
        try:
            with TransactWrite(connection=transactions_connection()) as transaction:
                write_end(transaction)
                for counter in counters:
                    transaction.update(
                        counter, actions=[RunningCounterItem.running.add(-1)], condition=RunningCounterItem.running > 0
                    )
                if write_also is not None:
                    write_also(transaction)
            return None
        except TransactWriteError as error:
            reasons = [reason.code if reason else None for reason in error.cancellation_reasons or []]
            if CONDITION_FAILED not in reasons:
                raise
            if reasons[0] == CONDITION_FAILED:
                refused = (error.cancellation_reasons or [None])[0]
                return EndRefused(refused.raw_item if refused is not None else None)
            # A counter already at zero (a repaired drift): the end again, with the other counters only.
            kept = zip(counters, reasons[1:], strict=False)
            counters = [counter for counter, reason in kept if reason != CONDITION_FAILED]


def release_one(counter: RunningCounterItem) -> None:
    try:
        counter.update(actions=[RunningCounterItem.running.add(-1)], condition=RunningCounterItem.running > 0)
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise


def take_running_slot(tenant: TenantContext, workflow_id: str | None = None) -> None:
    """A redriven execution runs again: it holds its running slots (unconditionally, as Step Functions already
    accepted it) until its next end gives them back."""
    running = RunningExecutions(tenant)
    counters = [running.counter()] + ([running.workflow_counter(workflow_id)] if workflow_id else [])
    with TransactWrite(connection=transactions_connection()) as transaction:
        for counter in counters:
            transaction.update(counter, actions=[RunningCounterItem.running.add(1)])
