"""DynamoDB's per-item and transactional atomicity, for the emulation.

moto checks a condition and then writes, without a lock: concurrent requests (`forge dev` serves them on threads)
could both pass the same condition — two executions for one idempotency key. One lock around moto's item operations
makes each one atomic, as DynamoDB is. Reads take the same lock in the request handler, so the answer is built from
an item no update is changing in place at the same moment.

moto also backs up every table a transaction touches (a deep copy of the whole table, items and all) to roll back a
cancelled transaction; with tables that grow under load that copy was most of the emulation's time, under the lock.
`TransactWriteItems` here runs moto's own per-item checks and writes in the same order, and on cancellation puts back
only the items the transaction touched — what DynamoDB guarantees: all or nothing, every condition checked against the
state before the transaction.
"""

from __future__ import annotations

import copy
import functools
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

_OPERATIONS = ("put_item", "get_item", "query", "scan", "update_item", "delete_item")
# Handler actions that read items: their answer is converted from moto's live items while the lock is held.
_READ_ACTIONS = ("get_item", "query", "scan", "batch_get_item", "transact_get_items")
_lock = threading.RLock()
_installed = False


def install_dynamodb_atomicity() -> None:
    """Idempotent; call before the emulation serves requests."""
    global _installed
    if _installed:
        return
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.responses import DynamoHandler

    for name in _OPERATIONS:
        setattr(DynamoDBBackend, name, _serialised(getattr(DynamoDBBackend, name)))
    DynamoDBBackend.transact_write_items = _serialised(transact_write_items)  # type: ignore[method-assign]
    for name in _READ_ACTIONS:
        setattr(DynamoHandler, name, _serialised(getattr(DynamoHandler, name)))
    # The same emulated DynamoDB answers item operations without moto's generic serializer, parses each expression
    # once, builds items with their size counted once, reads only the queried partition of a table and builds stream
    # records without copying their images twice.
    from devserver.dynamodb_expressions import install_dynamodb_expressions
    from devserver.dynamodb_items import install_dynamodb_items
    from devserver.dynamodb_queries import install_dynamodb_queries
    from devserver.dynamodb_responses import install_dynamodb_responses
    from devserver.dynamodb_stream_records import install_dynamodb_stream_records

    install_dynamodb_responses()
    install_dynamodb_expressions()
    install_dynamodb_items()
    install_dynamodb_queries()
    install_dynamodb_stream_records()
    _installed = True


def item_operations_paused() -> AbstractContextManager[Any]:
    """No DynamoDB item operation runs inside (a consistent copy of the tables, e.g. the local snapshot). The lock
    itself, not a generator around it: it is taken several times in every transaction."""
    return _lock


def _serialised(operation: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(operation)
    def run(*args: Any, **kwargs: Any) -> Any:
        with _lock:
            return operation(*args, **kwargs)

    return run


class _TouchedItems:
    """The items a transaction is about to change, as they were before it, to put back if it is cancelled, and how
    far each table's stream went then: a cancelled transaction leaves no stream record, as in DynamoDB."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self._before: dict[tuple[str, Any, Any], tuple[Any, Any, Any, Any]] = {}
        self._stream_lengths: dict[str, tuple[Any, int]] = {}

    def remember(self, table_name: str, key: dict[str, Any], changed_in_place: bool) -> tuple[Any, Any] | None:
        """`changed_in_place`: the operation changes moto's item object itself (an update), so a copy is kept; a put
        or a delete replaces or removes the object and never changes it, so the object itself is kept. Returns the
        item and the copy kept of it, when one was made."""
        table = self.backend.tables.get(table_name)
        if table is None:
            return None  # moto reports the missing table for this operation; nothing of it can change
        try:
            hash_value, range_value = self.backend.get_keys_value(table, key)
        except Exception:  # noqa: BLE001 - an invalid key fails its operation in moto's own code, changing nothing
            return None
        if table.stream_shard is not None and table_name not in self._stream_lengths:
            self._stream_lengths[table_name] = (table.stream_shard, len(table.stream_shard.items))
        marker = (table_name, hash_value, range_value)
        if marker in self._before:
            return None
        current = table.get_item(hash_value, range_value)
        kept = copy.deepcopy(current) if changed_in_place else current
        self._before[marker] = (table, hash_value, range_value, kept)
        return (current, kept) if changed_in_place and current is not None else None

    def restore(self) -> None:
        for table, hash_value, range_value, before in self._before.values():
            if before is None:
                table.delete_item(hash_value, range_value)
            elif range_value is not None:
                table.items[hash_value][range_value] = before
            else:
                table.items[hash_value] = before
        for shard, length in self._stream_lengths.values():
            del shard.items[length:]


def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
    """moto's `DynamoDBBackend.transact_write_items`, rolling back the touched items instead of whole tables."""
    from moto.dynamodb.exceptions import (
        ConditionalCheckFailed,
        MockValidationException,
        MultipleTransactionsException,
        TooManyTransactionsException,
        TransactionCanceledException,
        TransactWriteSingleOpException,
    )

    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    touched = _TouchedItems(self)
    target_items: set[tuple[str, str]] = set()
    errors: list[tuple[str | None, str | None, dict[str, Any] | None]] = []
    for item in transact_items:
        if len(list(item.keys())) > 1:
            raise TransactWriteSingleOpException
        try:
            op_type, op = next(iter(item.items()))
            _apply(self, op_type, op, touched, target_items)
            errors.append((None, None, None))
        except (MultipleTransactionsException, MockValidationException):
            touched.restore()
            raise
        except ConditionalCheckFailed as error:
            errors.append(("ConditionalCheckFailed", str(error.message), getattr(error, "returned_item", None)))
        except Exception as error:  # noqa: BLE001 - reported as this operation's cancellation reason, as moto does
            errors.append((type(error).__name__, str(error), None))

    if any(code is not None for code, _, _ in errors):
        touched.restore()
        raise TransactionCanceledException(errors)


def _apply(
    backend: Any, op_type: str, op: dict[str, Any], touched: _TouchedItems, target_items: set[tuple[str, str]]
) -> None:
    """One operation of a transaction, as moto runs it: the condition against the current item, then the write."""
    from moto.dynamodb.exceptions import MultipleTransactionsException

    from devserver.dynamodb_items import offer_copy, withdraw_copy

    if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
        raise ValueError("Unsupported transaction operation")
    table_name = op["TableName"]
    names = op.get("ExpressionAttributeNames")
    values = op.get("ExpressionAttributeValues")
    if op_type == "Put":
        table = backend.get_table(table_name)
        key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
        if table.range_key_attr is not None:
            key[table.range_key_attr] = op["Item"][table.range_key_attr]
    else:
        key = op["Key"]
    unique = (str(table_name), str(dict(sorted(key.items()))))
    if unique in target_items:  # one operation per item in a transaction
        raise MultipleTransactionsException()
    target_items.add(unique)
    copied = touched.remember(table_name, key, changed_in_place=op_type == "Update")

    _check_condition(backend, table_name, key, op)
    # The condition held just now, under the lock the whole transaction holds: the write need not parse it again.
    conditions = {
        "condition_expression": None,
        "expression_attribute_names": names,
        "expression_attribute_values": values,
    }
    if op_type == "Put":
        backend.put_item(table_name, op["Item"], **conditions)
    elif op_type == "Delete":
        backend.delete_item(table_name, key, **conditions)
    elif op_type == "Update":
        # moto copies the item for the stream's old image: the rollback's copy, unchanged since, serves (read only).
        if copied is not None:
            offer_copy(*copied)
        try:
            backend.update_item(table_name, key, update_expression=op["UpdateExpression"], **conditions)
        finally:
            withdraw_copy()


def _check_condition(backend: Any, table_name: str, key: dict[str, Any], op: dict[str, Any]) -> None:
    from moto.dynamodb.comparisons import get_filter_expression
    from moto.dynamodb.exceptions import ConditionalCheckFailed

    condition_expression = op.get("ConditionExpression")
    if condition_expression is None:
        return
    current = backend.get_item(table_name, key)
    condition = get_filter_expression(
        condition_expression, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
    )
    if not condition.expr(current):
        returned = None
        if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
            returned = current.to_json()["Attributes"]
        failed = ConditionalCheckFailed(item=returned)
        failed.returned_item = returned  # type: ignore[attr-defined]
        raise failed
