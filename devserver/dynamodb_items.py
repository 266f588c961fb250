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

import copy
import threading
from typing import Any

# moto's LimitedSizeDict refuses an item whose attributes' sizes add up to more than this (its constant, inline).
MOTO_ITEM_LIMIT = 405000
_installed = False


def install_dynamodb_items() -> None:
    """Idempotent; call before the emulation serves requests."""
    global _installed
    if _installed:
        return
    from moto.dynamodb.models.dynamo_type import DynamoType, Item

    item_init = Item.__init__

    def build_with_one_total(self: Any, hash_key: Any, range_key: Any, attrs: dict[str, Any]) -> None:
        item_init(self, hash_key, range_key, {})
        _fill(self.attrs, attrs)

    build_with_one_total.__wrapped__ = item_init  # type: ignore[attr-defined]
    Item.__init__ = build_with_one_total  # type: ignore[method-assign]
    _copied_item.__wrapped__ = Item.__deepcopy__  # type: ignore[attr-defined]
    _copied_value.__wrapped__ = DynamoType.__deepcopy__  # type: ignore[attr-defined]
    Item.__deepcopy__ = _copied_item  # type: ignore[method-assign,assignment]
    DynamoType.__deepcopy__ = _copied_value  # type: ignore[method-assign,assignment]
    _installed = True


def offer_copy(item: Any, copied: Any) -> None:
    """The next `copy.deepcopy(item)` on this thread (a top-level copy of that very item) is `copied`, a deep copy of
    it made already and not changed since: a transaction's update keeps a copy of the item for its rollback, and
    moto's `update_item` copies the same unchanged item again for its stream record's old image, which only reads it.
    Withdrawn by `withdraw_copy` whether or not it was taken."""
    _offered.copy = (item, copied)


def withdraw_copy() -> None:
    _offered.copy = None


_offered = threading.local()


def _copied_item(item: Any, memo: dict[int, Any]) -> Any:
    """moto's `Item.__deepcopy__` (the keys and every attribute copied through the same memo, the attributes put in
    without the size check), each attribute value copied by `_copied_value` instead of through `copy.deepcopy`'s
    dispatch: an UpdateItem copies its item twice (the handler's old image, the backend's stream image) and a
    transaction's update once more, 6.7% of the emulation's samples at c=32 (py-spy)."""
    from moto.dynamodb.models.dynamo_type import LimitedSizeDict

    offered = getattr(_offered, "copy", None)
    if offered is not None and offered[0] is item and not memo:
        _offered.copy = None
        return offered[1]
    copied = memo.get(id(item))
    if copied is not None:
        return copied
    copied = object.__new__(type(item))
    memo[id(item)] = copied
    copied.hash_key = _copied_value(item.hash_key, memo)
    copied.range_key = _copied_value(item.range_key, memo)
    attributes = LimitedSizeDict.__new__(LimitedSizeDict)
    dict.__init__(attributes)
    for key, value in item.attrs.items():
        dict.__setitem__(attributes, key, _copied_value(value, memo))
    copied.attrs = attributes
    return copied


_SETS = frozenset({"SS", "NS", "BS"})


def _copied_value(value: Any, memo: dict[int, Any]) -> Any:
    """What `copy.deepcopy(value, memo)` makes of an attribute value (moto's `DynamoType.__deepcopy__`: a list's and
    a map's members copied, a set's list copied, anything else shared), the same objects shared through `memo`."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    if type(value) is not DynamoType:
        return copy.deepcopy(value, memo)
    copied = memo.get(id(value))
    if copied is not None:
        return copied
    copied = object.__new__(DynamoType)
    memo[id(value)] = copied
    kind = copied.type = value.type
    inner = value.value
    if kind == "L":
        copied.value = [_copied_value(member, memo) for member in inner]
    elif kind == "M":
        copied.value = {name: _copied_value(member, memo) for name, member in inner.items()}
    elif kind in _SETS:
        copied.value = list(inner)
    else:
        copied.value = inner
    return copied


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
