"""The emulation's DynamoDB stream records (devserver/dynamodb_stream_records.py) are the records moto builds: the same
keys, images and size, for items of every attribute type, nested or not, and through a table's own writes."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models import table as table_module
from moto.dynamodb.models.dynamo_type import DynamoType, Item

from devserver.dynamodb_atomicity import install_dynamodb_atomicity
from tests.helpers import create_keyed_table

NESTED: dict[str, Any] = {
    "M": {
        "at": {"S": "2026-12-06"},
        "tags": {"SS": ["a", "b"]},
        "n": {"N": "12.5"},
        "on": {"BOOL": True},
        "raw": {"B": b"\x00\xff"},
        "deeper": {"M": {"list": {"L": [{"NULL": True}, {"NS": ["1", "2.5"]}, {"M": {}}]}, "blobs": {"BS": [b"x"]}}},
    }
}
ITEMS: list[dict[str, Any]] = [
    {"pk": {"S": "k"}, "sk": {"S": "s"}},
    {"pk": {"S": "k"}, "sk": {"S": "s"}, "text": {"S": 'quote " back \\ é \u2028 \x01 \U0001f600'}},
    {"pk": {"S": "k"}, "sk": {"S": "s"}, "n": {"N": "-12.500"}, "big": {"N": "1e100"}, "on": {"BOOL": False}},
    {"pk": {"S": "k"}, "sk": {"S": "s"}, "nothing": {"NULL": True}, "raw": {"B": b"\x00\x01\xfe"}},
    {"pk": {"S": "k"}, "sk": {"S": "s"}, "ss": {"SS": ["x", "y"]}, "ns": {"NS": ["1", "2"]}, "bs": {"BS": [b"a"]}},
    {"pk": {"S": "k"}, "sk": {"S": "s"}, "map": NESTED, "empty": {"M": {}}, "none": {"L": []}},
    {"pk": {"S": "k"}, "sk": {"S": "s"}, "list": {"L": [NESTED, {"S": "é"}, {"L": [{"B": b"\x02"}, NESTED]}]}},
]


def built(init: Any, old: dict[str, Any] | None, new: dict[str, Any] | None, view: str) -> dict[str, Any]:
    """A stream record built by `init` with a fixed creation time; its eventID is random by design."""
    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
    table = backend.get_table("t")
    record: Any = table_module.StreamRecord.__new__(table_module.StreamRecord)
    images = [
        None if each is None else Item(DynamoType(each["pk"]), DynamoType(each["sk"]), each) for each in (old, new)
    ]
    init(record, table, view, "MODIFY", *images, 1100000000017454423009)
    built_record = copy.deepcopy(record.record)
    assert len(built_record.pop("eventID")) == 32
    return dict(built_record)


@pytest.fixture
def table(monkeypatch: pytest.MonkeyPatch) -> Any:
    install_dynamodb_atomicity()
    monkeypatch.setattr(table_module, "utcnow", lambda: datetime(2026, 12, 6, 17, 0, 0, 123450))
    with mock_aws():
        create_keyed_table(boto3.client("dynamodb", region_name="us-east-1"), "t")
        yield


@pytest.mark.parametrize("view", ["NEW_AND_OLD_IMAGES", "NEW_IMAGE", "OLD_IMAGE", "KEYS_ONLY"])
@pytest.mark.parametrize("new", ITEMS)
@pytest.mark.usefixtures("table")
def test_a_stream_record_is_the_record_moto_builds(new: dict[str, Any], view: str) -> None:
    ours = table_module.StreamRecord.__init__
    motos = ours.__wrapped__  # type: ignore[attr-defined]

    for old, changed in ((None, new), (ITEMS[5], new), (new, None)):
        assert built(ours, old, changed, view) == built(motos, old, changed, view)
    assert built(ours, ITEMS[6], new, view)["dynamodb"]["SizeBytes"] > 1


@pytest.mark.usefixtures("table")
def test_a_records_images_are_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing of a record is shared with the item it was built from: a later change of the item changes no record."""
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
    dynamodb.update_table(
        TableName="t", StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    )
    dynamodb.put_item(TableName="t", Item={**ITEMS[5], "gk": {"S": "g"}})
    dynamodb.update_item(
        TableName="t",
        Key={"pk": {"S": "k"}, "sk": {"S": "s"}},
        UpdateExpression="SET #m.#d.#l[0] = :v, #m.#t = :t",
        ExpressionAttributeNames={"#m": "map", "#d": "deeper", "#l": "list", "#t": "tags"},
        ExpressionAttributeValues={":v": {"S": "changed"}, ":t": {"SS": ["z"]}},
    )
    shard: Any = backend.get_table("t").stream_shard
    records = [copy.deepcopy(record.record) for record in shard.items]
    dynamodb.update_item(
        TableName="t",
        Key={"pk": {"S": "k"}, "sk": {"S": "s"}},
        UpdateExpression="SET #m.#d.#l[0] = :v REMOVE #m.#t",
        ExpressionAttributeNames={"#m": "map", "#d": "deeper", "#l": "list", "#t": "tags"},
        ExpressionAttributeValues={":v": {"S": "again"}},
    )
    after = shard.items

    assert [record.record for record in after[:2]] == records
    assert [record["eventName"] for record in records] == ["INSERT", "MODIFY"]
    assert records[1]["dynamodb"]["NewImage"]["map"]["M"]["deeper"]["M"]["list"]["L"][0] == {"S": "changed"}
    assert records[1]["dynamodb"]["OldImage"]["map"]["M"]["deeper"]["M"]["list"]["L"][0] == {"NULL": True}
