"""moto's DynamoDB items built with their size counted once, for the emulation.

moto keeps an item's attributes in a `LimitedSizeDict` whose every assignment adds up the size of all the attributes
already there before checking the 400 KB item limit: building an item of n attributes (every PutItem, every new
item an UpdateItem or a transaction writes) measured n²/2 attributes, each walking its nested maps and lists. An
execution record has a few dozen. Here an item is built with one running total, the same sum checked against the same
limit before each attribute is added, so the same item is built and the same attribute refused. Assignments after the
item is built (an UpdateItem's SET) still go through moto's check. Upstream: moto 5.2.5's
moto/dynamodb/models/dynamo_type.py (`Item.__init__`, `LimitedSizeDict`). Checked against moto's own build by
tests/integration/test_dynamodb_items.py.
"""

from __future__ import annotations

from typing import Any

# moto's LimitedSizeDict refuses an item whose attributes' sizes add up to more than this (its constant, inline).
MOTO_ITEM_LIMIT = 405000
_installed = False


def install_dynamodb_items() -> None:
    """Idempotent; call before the emulation serves requests."""
    global _installed
    if _installed:
        return
    from moto.dynamodb.models.dynamo_type import Item

    item_init = Item.__init__

    def build_with_one_total(self: Any, hash_key: Any, range_key: Any, attrs: dict[str, Any]) -> None:
        item_init(self, hash_key, range_key, {})
        _fill(self.attrs, attrs)

    build_with_one_total.__wrapped__ = item_init  # type: ignore[attr-defined]
    Item.__init__ = build_with_one_total  # type: ignore[method-assign]
    _installed = True


def _fill(attributes: dict[str, Any], values: dict[str, Any]) -> None:
    from moto.dynamodb.exceptions import ItemSizeTooLarge
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.utilities import bytesize

    total = 0
    for key, value in values.items():
        typed = DynamoType(value)
        # What LimitedSizeDict.__setitem__ adds up: every key and value already in the item, then the new pair.
        added = bytesize(str(key)) + typed.size()
        if total + added > MOTO_ITEM_LIMIT:
            raise ItemSizeTooLarge
        dict.__setitem__(attributes, key, typed)
        total += added
