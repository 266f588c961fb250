"""The emulation's DynamoDB builds an item with its size counted once (devserver/dynamodb_items.py): the same item as
moto builds, and the same refusal of an item over DynamoDB's size limit, however its size is made up."""

from __future__ import annotations

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
