"""The emulation's DynamoDB builds an item with its size counted once (devserver/dynamodb_items.py): the same item as
moto builds, and the same refusal of an item over DynamoDB's size limit, however its size is made up."""

from __future__ import annotations

import copy
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb.models.dynamo_type import DynamoType, Item

from devserver.dynamodb_items import MOTO_ITEM_LIMIT, install_dynamodb_items

NESTED = {"M": {"at": {"S": "2026-12-06"}, "tags": {"SS": ["a", "b"]}, "n": {"N": "12.5"}, "on": {"BOOL": True}}}


def built(init: Any, attributes: dict[str, Any]) -> tuple[str, object]:
    item: Any = Item.__new__(Item)
    try:
        init(item, DynamoType({"S": "k"}), None, attributes)
    except Exception as error:
        return "refused", (type(error).__name__, str(error))
    return "built", (item.to_json(), list(item.attrs), [type(value) for value in item.attrs.values()])


def padded(total: int) -> dict[str, Any]:
    """Attributes whose sizes, as moto adds them up, come to `total`: three of them, the last a string."""
    head: dict[str, Any] = {"pk": {"S": "k"}, "log": {"L": [NESTED, {"NULL": True}, {"B": b"\x00\x01"}]}}
    size = sum(len(key) + DynamoType(value).size() for key, value in head.items())
    return {**head, "pad": {"S": "x" * (total - size - len("pad"))}}


@pytest.mark.parametrize(
    "attributes",
    [
        {},
        {"pk": {"S": "k"}, "n": {"N": "1"}, "nested": NESTED, "list": {"L": [NESTED, {"S": "é"}]}},
        padded(MOTO_ITEM_LIMIT - 1),
        padded(MOTO_ITEM_LIMIT),
        padded(MOTO_ITEM_LIMIT + 1),
        {"pad": {"S": "x" * MOTO_ITEM_LIMIT}, "pk": {"S": "k"}},
        {"pk": {"S": "k"}, "é": {"S": "é" * 200_000}, "more": {"S": "y" * 10}},
    ],
)
def test_an_item_is_built_or_refused_as_moto_builds_or_refuses_it(attributes: dict[str, Any]) -> None:
    install_dynamodb_items()
    kept = Item.__init__
    motos = kept.__wrapped__  # type: ignore[attr-defined]

    assert built(kept, attributes) == built(motos, attributes)


def test_an_item_over_the_limit_is_refused_by_the_emulated_table_and_one_at_it_is_stored() -> None:
    install_dynamodb_items()
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        dynamodb.create_table(
            TableName="items",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        dynamodb.put_item(TableName="items", Item=padded(MOTO_ITEM_LIMIT))
        with pytest.raises(ClientError) as refused:
            dynamodb.put_item(TableName="items", Item=padded(MOTO_ITEM_LIMIT + 1))

        stored = dynamodb.get_item(TableName="items", Key={"pk": {"S": "k"}})["Item"]
    assert refused.value.response["Error"]["Message"] == "Item size has exceeded the maximum allowed size"
    assert len(stored["pad"]["S"]) == len(padded(MOTO_ITEM_LIMIT)["pad"]["S"])


def shape_of(value: Any, seen: dict[int, int]) -> Any:
    """A value's types, contents and which of its parts are one object (numbered in order of appearance)."""
    number = seen.setdefault(id(value), len(seen))
    if isinstance(value, Item):
        parts = {"hash": value.hash_key, "range": value.range_key, **value.attrs}
        return ("Item", number, type(value.attrs), {key: shape_of(part, seen) for key, part in parts.items()})
    if isinstance(value, DynamoType):
        return ("DynamoType", number, value.type, shape_of(value.value, seen))
    if isinstance(value, list):
        return ("list", number, [shape_of(part, seen) for part in value])
    if isinstance(value, dict):
        return ("dict", number, {key: shape_of(part, seen) for key, part in value.items()})
    return (type(value).__name__, value)


def test_an_item_is_copied_as_moto_copies_it_sharing_what_it_shares() -> None:
    install_dynamodb_items()
    shared = DynamoType({"M": {"k": {"S": "v"}}})
    item = Item(
        DynamoType({"S": "k"}), DynamoType({"N": "1"}), {"list": {"L": [NESTED, {"NULL": True}]}, **NESTED["M"]}
    )
    # An update can put one value in two places (SET a = :v, b = :v); a copy keeps them one object.
    dict.__setitem__(item.attrs, "a", shared)
    dict.__setitem__(item.attrs, "b", shared)
    item.attrs["list"].value.append(shared)
    item.attrs["list"].value.append({"not": "a DynamoType"})
    moto_copy = Item.__deepcopy__.__wrapped__(item, {})  # type: ignore[attr-defined]

    copied = copy.deepcopy(item)

    assert shape_of(copied, {}) == shape_of(moto_copy, {})
    assert copied.to_json() == item.to_json()
    originals = {id(part) for part in (item, *item.attrs.values(), *item.attrs["list"].value, item.attrs["tags"].value)}
    copies = {id(part) for part in (copied, *copied.attrs.values(), *copied.attrs["list"].value)}
    assert originals.isdisjoint(copies | {id(copied.attrs["tags"].value)})
    assert copy.deepcopy(shared).to_json() == shared.to_json() and copy.deepcopy(shared) is not shared
