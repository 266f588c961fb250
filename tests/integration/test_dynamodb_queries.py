"""A Query on a table's own key, reading only the partition it names, answers as moto's query of the whole table."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table

from devserver.dynamodb_atomicity import install_dynamodb_atomicity
from devserver.dynamodb_queries import partition_items
from tests.helpers import create_keyed_table

RANGED, SINGLE = "ranged", "single"


@pytest.fixture
def client() -> Iterator[Any]:
    install_dynamodb_atomicity()
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        create_keyed_table(dynamodb, RANGED, key_types=("N", "N"))
        dynamodb.create_table(
            TableName=SINGLE,
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
        for partition in ("1", "2.50", "10", "-3"):
            for sort in ("9", "10", "1.5", "-2", "100", "0"):
                dynamodb.put_item(
                    TableName=RANGED,
                    Item={
                        "pk": {"N": partition},
                        "sk": {"N": sort},
                        "gk": {"S": f"g{sort}"},
                        "even": {"BOOL": float(sort) % 2 == 0},
                    },
                )
        dynamodb.delete_item(TableName=RANGED, Key={"pk": {"N": "10"}, "sk": {"N": "0"}})
        for name in ("b", "a", "c"):
            dynamodb.put_item(TableName=SINGLE, Item={"id": {"S": name}, "n": {"N": "1"}})
        yield dynamodb


QUERIES: list[dict[str, Any]] = [
    {"TableName": RANGED, "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"N": "1"}}},
    {"TableName": RANGED, "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"N": "1.0"}}},
    {"TableName": RANGED, "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"N": "2.5"}}},
    {"TableName": RANGED, "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"N": "7"}}},
    {
        "TableName": RANGED,
        "KeyConditionExpression": "pk = :p AND sk BETWEEN :low AND :high",
        "ExpressionAttributeValues": {":p": {"N": "-3"}, ":low": {"N": "-2"}, ":high": {"N": "10"}},
        "ScanIndexForward": False,
    },
    {
        "TableName": RANGED,
        "KeyConditionExpression": "pk = :p AND sk > :low",
        "FilterExpression": "even = :yes",
        "ExpressionAttributeValues": {":p": {"N": "10"}, ":low": {"N": "0"}, ":yes": {"BOOL": True}},
        "Limit": 2,
    },
    {
        "TableName": RANGED,
        "KeyConditionExpression": "pk = :p",
        "ExpressionAttributeValues": {":p": {"N": "1"}},
        "ExclusiveStartKey": {"pk": {"N": "1"}, "sk": {"N": "1.5"}},
        "Limit": 2,
        "ProjectionExpression": "sk, gk",
    },
    {
        "TableName": RANGED,
        "IndexName": "by-g",
        "KeyConditionExpression": "gk = :g",
        "ExpressionAttributeValues": {":g": {"S": "g9"}},
    },
    {"TableName": SINGLE, "KeyConditionExpression": "id = :i", "ExpressionAttributeValues": {":i": {"S": "a"}}},
    {"TableName": SINGLE, "KeyConditionExpression": "id = :i", "ExpressionAttributeValues": {":i": {"S": "z"}}},
]


def test_a_query_of_one_partition_answers_as_moto_reading_the_whole_table(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def answers() -> list[Any]:
        found = []
        for query in QUERIES:
            answer = client.query(**query)
            found.append({key: answer.get(key) for key in ("Items", "Count", "ScannedCount", "LastEvaluatedKey")})
        return found

    read_partitions = answers()
    monkeypatch.setattr(Table, "query", Table.query.__wrapped__)  # type: ignore[attr-defined]
    read_tables = answers()

    assert read_partitions == read_tables
    assert [item["sk"]["N"] for item in read_tables[0]["Items"]] == ["-2", "0", "1.5", "9", "10", "100"]
    assert read_tables[1] == read_tables[0], "1.0 names the partition of 1"
    assert read_tables[6]["LastEvaluatedKey"] is not None


def test_a_query_compares_the_keys_of_its_partition_only(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[Any] = []
    less_than = DynamoType.__lt__

    def counted(self: Any, other: Any) -> bool:
        compared.append(self)
        return bool(less_than(self, other))

    monkeypatch.setattr(DynamoType, "__lt__", counted)
    client.query(**QUERIES[0])
    by_query = len(compared)
    monkeypatch.setattr(Table, "query", Table.query.__wrapped__)  # type: ignore[attr-defined]
    client.query(**QUERIES[0])
    by_moto = len(compared) - by_query

    assert 0 < by_query < by_moto / 2


@pytest.mark.parametrize(
    ("key_types", "sorts"),
    [
        (("S", "S"), [{"S": text} for text in ("b", "a", "B", "ab", "é", "a b", "10", "9", "zz")]),
        (("S", "N"), [{"N": number} for number in ("3", "-1", "2.5", "1e2", "0.001", "-0", "7", "12", "1.50")]),
        (("S", "B"), [{"B": data} for data in (b"\x01", b"\x00\xff", b"a", b"\xff", b"ab")]),
    ],
)
def test_a_partitions_items_come_in_the_order_of_motos_whole_table_read(
    key_types: tuple[str, str], sorts: list[dict[str, Any]]
) -> None:
    install_dynamodb_atomicity()
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        create_keyed_table(dynamodb, RANGED, key_types=key_types)
        for partition in ("p", "q"):
            for sort in [*sorts, *reversed(sorts)]:
                dynamodb.put_item(TableName=RANGED, Item={"pk": {"S": partition}, "sk": sort, "gk": {"S": "g"}})
        dynamodb.delete_item(TableName=RANGED, Key={"pk": {"S": "q"}, "sk": sorts[0]})
        table = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].get_table(RANGED)
        for partition in ("p", "q", "absent"):
            key = DynamoType({"S": partition})
            moto_order = [item for item in Table.all_items.__wrapped__(table) if item.hash_key == key]  # type: ignore[attr-defined]

            assert partition_items(table, key) == moto_order
