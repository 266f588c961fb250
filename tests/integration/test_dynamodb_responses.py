"""The emulation's DynamoDB answers item operations with the JSON moto's own serializer would write."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core.responses import BaseResponse
from moto.dynamodb.responses import DynamoHandler

from devserver.dynamodb_atomicity import install_dynamodb_atomicity
from devserver.dynamodb_responses import ITEM_OPERATIONS
from tests.helpers import create_keyed_table

TABLE = "answers"
ITEM: dict[str, Any] = {
    "pk": {"S": "p"},
    "sk": {"S": "1"},
    "gk": {"S": "g"},
    "number": {"N": "1.50"},
    "binary": {"B": b"\x00\xffbytes"},
    "binaries": {"BS": [b"x", b"y"]},
    "strings": {"SS": ["a", "b"]},
    "numbers": {"NS": ["1", "2"]},
    "text": {"S": 'é ü \u2028 "quoted" \\'},
    "nested": {"L": [{"NULL": True}, {"BOOL": False}, {"M": {"k": {"N": "3"}}}]},
}


@pytest.fixture
def compared(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, Any, Any]]]:
    """Every DynamoDB answer as sent and as moto's serializer writes it."""
    install_dynamodb_atomicity()
    answers: list[tuple[str, Any, Any]] = []
    sent = DynamoHandler.serialized

    def both(self: Any, action_result: Any) -> Any:
        status, headers, body = sent(self, action_result)
        _, moto_headers, moto_body = BaseResponse.serialized(self, action_result)
        assert headers["Content-Type"] == moto_headers["Content-Type"] and status == 200
        answers.append((self._get_action(), json.loads(body), json.loads(moto_body)))
        return status, headers, body

    monkeypatch.setattr(DynamoHandler, "serialized", both)
    with mock_aws():
        yield answers


def test_every_item_operation_answers_as_moto_would(compared: list[tuple[str, Any, Any]]) -> None:
    client = boto3.client("dynamodb", region_name="us-east-1")
    create_keyed_table(client, TABLE)
    key: dict[str, Any] = {"pk": ITEM["pk"], "sk": ITEM["sk"]}
    client.put_item(TableName=TABLE, Item=ITEM)
    client.put_item(TableName=TABLE, Item={**ITEM, "sk": {"S": "2"}}, ReturnValues="ALL_OLD")
    client.put_item(TableName=TABLE, Item={**ITEM, "sk": {"S": "2"}}, ReturnValues="ALL_OLD")
    client.get_item(TableName=TABLE, Key=key, ConsistentRead=True)
    client.get_item(TableName=TABLE, Key={"pk": {"S": "none"}, "sk": {"S": "none"}})
    client.get_item(
        TableName=TABLE, Key=key, ProjectionExpression="#b, nested", ExpressionAttributeNames={"#b": "binary"}
    )
    client.update_item(
        TableName=TABLE,
        Key=key,
        UpdateExpression="ADD #n :one SET nested = list_append(nested, :more)",
        ExpressionAttributeNames={"#n": "number"},
        ExpressionAttributeValues={":one": {"N": "1"}, ":more": {"L": [{"S": "x"}]}},
        ReturnValues="ALL_NEW",
        ReturnConsumedCapacity="TOTAL",
    )
    client.update_item(TableName=TABLE, Key=key, UpdateExpression="REMOVE strings", ReturnValues="UPDATED_OLD")
    client.query(
        TableName=TABLE,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "p"}},
        Limit=1,
        ReturnConsumedCapacity="TOTAL",
    )
    client.query(
        TableName=TABLE,
        IndexName="by-g",
        KeyConditionExpression="gk = :g",
        ExpressionAttributeValues={":g": {"S": "g"}},
    )
    client.scan(TableName=TABLE, Limit=1)
    client.batch_get_item(RequestItems={TABLE: {"Keys": [key, {"pk": {"S": "p"}, "sk": {"S": "9"}}]}})
    client.batch_write_item(RequestItems={TABLE: [{"PutRequest": {"Item": {**ITEM, "sk": {"S": "3"}}}}]})
    client.transact_get_items(TransactItems=[{"Get": {"TableName": TABLE, "Key": key}}])
    client.transact_write_items(
        TransactItems=[{"Delete": {"TableName": TABLE, "Key": {"pk": {"S": "p"}, "sk": {"S": "3"}}}}]
    )
    client.delete_item(TableName=TABLE, Key=key, ReturnValues="ALL_OLD")

    item_answers = [(action, sent, moto) for action, sent, moto in compared if action in ITEM_OPERATIONS]
    assert {action for action, _, _ in item_answers} == ITEM_OPERATIONS
    for action, sent, moto in item_answers:
        assert sent == moto, action
