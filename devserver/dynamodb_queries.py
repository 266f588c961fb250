"""A DynamoDB Query on a table's own key reads the one partition it names, for the emulation.

moto's `Table.query` without an index takes `all_items()` (every item of the table, sorted by key with a Decimal made
of each key at every comparison) and keeps those whose partition key equals the query's: each query cost grew with
the table (5% of the emulation's samples at c=32 after a few hundred executions, py-spy). The items of one
partition key are the ones moto keeps under that key (`Table.items[hash_key]`, a dict keyed by the same equality),
so for such a query `all_items()` gives that partition's items, sorted the same way; moto's own query then keeps,
orders, pages, filters and projects them as before. Queries of an index, and everything else reading
`all_items()` (Scan, exports), read the whole table as before. Upstream: moto 5.2.5's
moto/dynamodb/models/table.py (`Table.query`, `Table.all_items`). tests/integration/test_dynamodb_queries.py
compares both on the same tables.
"""

from __future__ import annotations

import functools
import inspect
import threading
from typing import Any

_querying = threading.local()
_installed = False


def install_dynamodb_queries() -> None:
    """Idempotent; call before the emulation serves requests."""
    global _installed
    if _installed:
        return
    from moto.dynamodb.models.table import Table

    query = Table.query
    all_items = Table.all_items
    signature = inspect.signature(query)

    @functools.wraps(query)
    def query_one_partition(self: Any, *args: Any, **kwargs: Any) -> Any:
        arguments = signature.bind(self, *args, **kwargs).arguments
        if arguments.get("index_name") or arguments.get("hash_key") is None:
            return query(self, *args, **kwargs)
        _querying.partition = (self, arguments["hash_key"])
        try:
            return query(self, *args, **kwargs)
        finally:
            _querying.partition = None

    @functools.wraps(all_items)
    def items_of_the_queried_partition(self: Any) -> Any:
        partition = getattr(_querying, "partition", None)
        if partition is None or partition[0] is not self:
            return all_items(self)
        _querying.partition = None  # once: anything else the query reads is the whole table
        return partition_items(self, partition[1])

    Table.query = query_one_partition  # type: ignore[method-assign]
    Table.all_items = items_of_the_queried_partition  # type: ignore[method-assign]
    _installed = True


def partition_items(table: Any, hash_key: Any) -> list[Any]:
    """The items `all_items()` holds whose partition key equals `hash_key`, in its order."""
    found = table.items.get(hash_key)
    if found is None:
        return []
    if not table.range_key_attr:
        return [found]
    # all_items()'s own sort (stable: items of equal keys keep the order they are held in). Its key, (hash key, range
    # key), compares equal hash keys here, so the order is the range keys' `cast_value` order, which DynamoType's `<`
    # compares: each cast once (a Decimal for a number) instead of twice at every comparison (this sort was 3% of the
    # emulation's py-spy samples at c=32, session 12).
    return sorted(found.values(), key=_range_order)


def _range_order(item: Any) -> Any:
    return item.range_key.cast_value
