"""The workers' item calls answered without moto's generic request set-up give moto's own answers: the same calls
sent both ways on identical tables leave the same answers, items and stream records."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSPreparedRequest
from moto import mock_aws
from moto.core.responses import BaseResponse
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.utilities import dynamo_json_dump

from devserver.data_plane import DataPlane, MotoDispatch
from devserver.dynamodb_atomicity import install_dynamodb_atomicity
from devserver.dynamodb_requests import ItemRequests
from devserver.emulation import EmulationChanges
from tests.helpers import create_keyed_table

REGION = "us-east-1"
HOST = f"https://dynamodb.{REGION}.amazonaws.com"
ACCOUNT = "123456789012"
TABLE, SINGLE = "records", "singles"
Answer = tuple[int, dict[str, Any], Any]


def blob(data: bytes) -> str:
    return base64.b64encode(data).decode()


ITEM: dict[str, Any] = {
    "pk": {"S": "p"},
    "sk": {"S": "1"},
    "gk": {"S": "g"},
    "count": {"N": "1"},
    "binary": {"B": blob(b"\x00\xffbytes")},
    "binaries": {"BS": [blob(b"x"), blob(b"y")]},
    "strings": {"SS": ["a", "b"]},
    "numbers": {"NS": ["1", "2.5"]},
    "text": {"S": 'é ü \u2028 "quoted" & Action=x'},
    "nested": {"L": [{"NULL": True}, {"BOOL": False}, {"M": {"k": {"N": "3"}, "b": {"B": blob(b"\x01")}}}]},
    "status": {"S": "RUNNING"},
}
KEY = {"pk": {"S": "p"}, "sk": {"S": "1"}}


def key(sort: str, partition: str = "p") -> dict[str, Any]:
    return {"pk": {"S": partition}, "sk": {"S": sort}}


# (operation, body): what the workers send and what they could send wrongly.
CALLS: list[tuple[str, dict[str, Any]]] = [
    ("PutItem", {"TableName": TABLE, "Item": ITEM, "ReturnConsumedCapacity": "TOTAL"}),
    ("PutItem", {"TableName": TABLE, "Item": {**ITEM, "sk": {"S": "2"}, "gk": {"S": "h"}}, "ReturnValues": "ALL_OLD"}),
    ("PutItem", {"TableName": TABLE, "Item": {**ITEM, "count": {"N": "5"}}, "ReturnValues": "ALL_OLD"}),
    ("PutItem", {"TableName": TABLE, "Item": {**ITEM, "sk": {"S": "3"}}, "Bogus": 1, "ReturnValues": None}),
    (
        "PutItem",
        {
            "TableName": TABLE,
            "Item": ITEM,
            "ConditionExpression": "attribute_not_exists(pk)",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        },
    ),
    ("PutItem", {"TableName": TABLE, "Item": ITEM, "ConditionExpression": "attribute_not_exists(pk)"}),
    ("PutItem", {"TableName": TABLE, "Item": {"pk": {"S": "p"}}}),
    ("PutItem", {"TableName": TABLE, "Item": {**ITEM, "pk": {"N": "1"}}}),
    ("PutItem", {"TableName": TABLE, "Item": ITEM, "ExpressionAttributeValues": {}}),
    ("GetItem", {"TableName": TABLE, "Key": KEY, "ConsistentRead": True, "ReturnConsumedCapacity": "INDEXES"}),
    ("GetItem", {"TableName": TABLE, "Key": key("none")}),
    ("GetItem", {"TableName": TABLE, "Key": KEY, "ProjectionExpression": "#b, nested[2].k, #c"}),
    (
        "GetItem",
        {
            "TableName": TABLE,
            "Key": KEY,
            "ProjectionExpression": "#b, nested[2].k",
            "ExpressionAttributeNames": {"#b": "binary"},
        },
    ),
    ("GetItem", {"TableName": "missing", "Key": KEY}),
    ("GetItem", {"TableName": TABLE, "Key": {"pk": {"S": "p"}}}),
    ("GetItem", {"TableName": TABLE, "Key": {"pk": {"N": "1"}, "sk": {"S": "1"}}}),
    ("GetItem", {"TableName": TABLE, "Key": KEY, "ReturnConsumedCapacity": "SOME"}),
    ("GetItem", {"Key": KEY}),
    ("GetItem", {"TableName": TABLE, "Key": "not a key"}),
    *[
        (
            "UpdateItem",
            {
                "TableName": TABLE,
                "Key": KEY,
                "UpdateExpression": "SET #s = :s, nested[2].k = :n ADD #c :one REMOVE strings",
                "ExpressionAttributeNames": {"#s": "status", "#c": "count"},
                "ExpressionAttributeValues": {":s": {"S": f"S{index}"}, ":n": {"N": "4"}, ":one": {"N": "1"}},
                "ReturnValues": returned,
                "ReturnConsumedCapacity": "TOTAL",
            },
        )
        for index, returned in enumerate(["ALL_NEW", "UPDATED_NEW", "UPDATED_OLD", "ALL_OLD", "NONE"])
    ],
    (
        "UpdateItem",
        {
            "TableName": TABLE,
            "Key": KEY,
            "UpdateExpression": "SET #s = :s",
            "ConditionExpression": "#s = :expected",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": {":s": {"S": "DONE"}, ":expected": {"S": "QUEUED"}},
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        },
    ),
    (
        "UpdateItem",
        {
            "TableName": TABLE,
            "Key": key("new"),
            "UpdateExpression": "SET #s = if_not_exists(#s, :s), tags = list_append(if_not_exists(tags, :none), :t)",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": {":s": {"S": "NEW"}, ":none": {"L": []}, ":t": {"L": [{"S": "x"}]}},
            "ReturnValues": "ALL_NEW",
        },
    ),
    ("UpdateItem", {"TableName": TABLE, "Key": KEY, "UpdateExpression": "SET = :x"}),
    (
        "UpdateItem",
        {
            "TableName": TABLE,
            "Key": KEY,
            "UpdateExpression": "SET a = :a",
            "ExpressionAttributeValues": {":a": {"S": "a"}, ":unused": {"S": "b"}},
        },
    ),
    (
        "UpdateItem",
        {
            "TableName": TABLE,
            "Key": KEY,
            "UpdateExpression": "SET sk = :a",
            "ExpressionAttributeValues": {":a": {"S": "a"}},
        },
    ),
    (
        "UpdateItem",
        {
            "TableName": "missing",
            "Key": KEY,
            "UpdateExpression": "SET a = :a",
            "ExpressionAttributeValues": {":a": {"S": "a"}},
        },
    ),
    (
        "DeleteItem",
        {
            "TableName": TABLE,
            "Key": key("3"),
            "ConditionExpression": "attribute_not_exists(pk)",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        },
    ),
    ("DeleteItem", {"TableName": TABLE, "Key": key("3"), "ReturnValues": "ALL_OLD"}),
    ("DeleteItem", {"TableName": TABLE, "Key": key("gone")}),
    (
        "TransactWriteItems",
        {
            "TransactItems": [
                {"Put": {"TableName": SINGLE, "Item": {"id": {"S": "idem"}, "execution": {"S": "e1"}}}},
                {
                    "Update": {
                        "TableName": TABLE,
                        "Key": KEY,
                        "UpdateExpression": "SET #s = :s ADD #c :one",
                        "ConditionExpression": "attribute_exists(pk)",
                        "ExpressionAttributeNames": {"#s": "status", "#c": "count"},
                        "ExpressionAttributeValues": {":s": {"S": "SUCCEEDED"}, ":one": {"N": "1"}},
                    }
                },
                {
                    "ConditionCheck": {
                        "TableName": TABLE,
                        "Key": key("2"),
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
                {"Delete": {"TableName": TABLE, "Key": key("new")}},
            ],
            "ReturnConsumedCapacity": "TOTAL",
            "ClientRequestToken": "token-1",
        },
    ),
    *[
        (
            "TransactWriteItems",
            {
                "TransactItems": [
                    {
                        "Put": {
                            "TableName": SINGLE,
                            "Item": {"id": {"S": "idem"}, "execution": {"S": "e2"}},
                            "ConditionExpression": "attribute_not_exists(id)",
                            **returned,
                        }
                    },
                    {
                        "Update": {
                            "TableName": TABLE,
                            "Key": KEY,
                            "UpdateExpression": "SET lost = :l",
                            "ExpressionAttributeValues": {":l": {"BOOL": True}},
                        }
                    },
                ]
            },
        )
        for returned in ({}, {"ReturnValuesOnConditionCheckFailure": "ALL_OLD"})
    ],
    (
        "TransactWriteItems",
        {
            "TransactItems": [
                {"ConditionCheck": {"TableName": TABLE, "Key": KEY, "ConditionExpression": "attribute_exists(pk)"}},
                {"Delete": {"TableName": TABLE, "Key": KEY}},
            ]
        },
    ),
    (
        "TransactWriteItems",
        {
            "TransactItems": [
                {"Put": {"TableName": TABLE, "Item": {**ITEM, "sk": {"S": "2"}, "put": {"S": "over"}}}},
                {"Put": {"TableName": TABLE, "Item": {**ITEM, "sk": {"S": "fresh"}}}},
                {"Delete": {"TableName": SINGLE, "Key": {"id": {"S": "idem"}}}},
                {
                    "Update": {
                        "TableName": TABLE,
                        "Key": KEY,
                        "UpdateExpression": "SET nested[2].k = :n ADD numbers :more",
                        "ExpressionAttributeValues": {":n": {"N": "7"}, ":more": {"NS": ["9"]}},
                    }
                },
                {
                    "ConditionCheck": {
                        "TableName": TABLE,
                        "Key": key("none"),
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            ]
        },
    ),
    ("TransactWriteItems", {"TransactItems": [{"Delete": {"TableName": "missing", "Key": KEY}}]}),
    (
        "BatchGetItem",
        {
            "RequestItems": {
                TABLE: {
                    "Keys": [KEY, key("2"), key("none")],
                    "ConsistentRead": True,
                    "ProjectionExpression": "#s, pk, binary",
                    "ExpressionAttributeNames": {"#s": "status"},
                },
                SINGLE: {"Keys": [{"id": {"S": "idem"}}]},
            },
            "ReturnConsumedCapacity": "TOTAL",
        },
    ),
    ("BatchGetItem", {"RequestItems": {"missing": {"Keys": [KEY]}}}),
    ("BatchGetItem", {"RequestItems": {TABLE: {"Keys": [KEY, KEY]}}}),
    (
        "Query",
        {"TableName": TABLE, "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "p"}}},
    ),
    (
        "Query",
        {
            "TableName": TABLE,
            "KeyConditionExpression": "pk = :p AND begins_with(sk, :s)",
            "FilterExpression": "#c > :zero",
            "ExpressionAttributeNames": {"#c": "count"},
            "ExpressionAttributeValues": {":p": {"S": "p"}, ":s": {"S": ""}, ":zero": {"N": "0"}},
            "Limit": 1,
            "ScanIndexForward": False,
            "ReturnConsumedCapacity": "TOTAL",
        },
    ),
    (
        "Query",
        {
            "TableName": TABLE,
            "KeyConditionExpression": "pk = :p",
            "ExpressionAttributeValues": {":p": {"S": "p"}},
            "ExclusiveStartKey": KEY,
            "Limit": 5,
        },
    ),
    (
        "Query",
        {
            "TableName": TABLE,
            "IndexName": "by-g",
            "KeyConditionExpression": "gk = :g",
            "ExpressionAttributeValues": {":g": {"S": "h"}},
            "ProjectionExpression": "pk, sk",
        },
    ),
    (
        "Query",
        {
            "TableName": TABLE,
            "KeyConditionExpression": "pk = :p",
            "ExpressionAttributeValues": {":p": {"S": "p"}},
            "Select": "COUNT",
        },
    ),
    (
        "Query",
        {
            "TableName": TABLE,
            "KeyConditionExpression": "pk = :p",
            "ExpressionAttributeValues": {":p": {"S": "p"}},
            "IndexName": "nope",
        },
    ),
    (
        "Query",
        {"TableName": TABLE, "KeyConditionExpression": "status = :p", "ExpressionAttributeValues": {":p": {"S": "p"}}},
    ),
    (
        "Query",
        {"TableName": "missing", "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "p"}}},
    ),
]


def headers_for(operation: str) -> dict[str, str]:
    return {
        "X-Amz-Target": f"DynamoDB_20120810.{operation}",
        "Content-Type": "application/x-amz-json-1.0",
        "User-Agent": "Boto3/1.40 md/Botocore#1.40 ua/2.1 os/linux",
        "amz-sdk-invocation-id": "1b7c7f66-2b1d-4c9a-9c5e-0a0e9c3f5d11",
        "amz-sdk-request": "attempt=1",
    }


@pytest.fixture
def tables() -> Iterator[Callable[[], None]]:
    """A function that makes the two tables afresh (a stream on each), empty."""
    install_dynamodb_atomicity()
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        stream: Any = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}

        def fresh() -> None:
            for name in client.list_tables()["TableNames"]:
                client.delete_table(TableName=name)
            create_keyed_table(client, TABLE, stream=stream)
            client.create_table(
                TableName=SINGLE,
                AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                BillingMode="PAY_PER_REQUEST",
                StreamSpecification=stream,
            )

        yield fresh


def by_moto(operation: str, body: bytes) -> Answer:
    request = AWSPreparedRequest("POST", HOST + "/", headers_for(operation), body, stream_output=False)  # type: ignore[arg-type]
    answered = MotoDispatch().process_request(request)
    assert answered is not None
    return answered  # type: ignore[no-any-return]


LEFT_TO_MOTO: list[bytes] = []


def by_fast_path(operation: str, body: bytes) -> Answer:
    """As the data plane answers: the fast path, or moto's own where it declines."""
    answered = ItemRequests(HOST).answer(headers_for(operation), body)
    if answered is None:
        LEFT_TO_MOTO.append(body)
        return by_moto(operation, body)
    return answered


def comparable(answer: Answer) -> tuple[int, dict[str, Any], Any]:
    status, headers, body = answer
    kept = {name.lower(): str(value) for name, value in headers.items()}
    for varying in ("x-amzn-requestid", "date"):
        assert varying in kept
        del kept[varying]
    return int(status), kept, json.loads(body)


def state() -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
    """Every table's items, and its stream's records without what differs between two runs."""
    backend = dynamodb_backends[ACCOUNT][REGION]
    items: dict[str, Any] = {}
    streams: dict[str, list[dict[str, Any]]] = {}
    for name, table in backend.tables.items():
        items[name] = sorted(json.dumps(item.to_json(), sort_keys=True, default=repr) for item in table.all_items())
        shard = table.stream_shard
        assert shard is not None
        first = shard.starting_sequence_number
        records = []
        for record in shard.items:
            copied = json.loads(json.dumps(record.to_json(), default=repr))
            del copied["eventID"]
            # The size counts the time (seconds with a varying number of digits) and the sequence number.
            written = dynamo_json_dump(record.to_json()["dynamodb"]["ApproximateCreationDateTime"])
            del copied["dynamodb"]["ApproximateCreationDateTime"]
            sequence = copied["dynamodb"].pop("SequenceNumber")
            copied["dynamodb"]["SizeBytes"] -= len(sequence) + len(written)
            copied["sequence"] = int(sequence) - first
            records.append(copied)
        streams[name] = records
    return items, streams


def outcome(path: Callable[[str, bytes], Answer], operation: str, body: dict[str, Any]) -> Any:
    """The answer, or the error moto raised (the data plane answers 500 for it)."""
    try:
        return comparable(path(operation, json.dumps(body).encode()))
    except Exception as error:  # what moto raises is part of its answer
        return type(error).__name__


def run(path: Callable[[str, bytes], Answer], fresh: Callable[[], None]) -> tuple[list[Any], Any]:
    fresh()
    LEFT_TO_MOTO.clear()
    answers = [outcome(path, operation, body) for operation, body in CALLS]
    return answers, state()


def test_each_item_call_answers_and_changes_the_tables_as_moto_does(tables: Callable[[], None]) -> None:
    moto_answers, moto_state = run(by_moto, tables)
    fast_answers, fast_state = run(by_fast_path, tables)

    for (operation, body), moto_answer, fast_answer in zip(CALLS, moto_answers, fast_answers, strict=True):
        assert fast_answer == moto_answer, (operation, body)
    assert fast_state == moto_state
    assert [json.loads(body) for body in LEFT_TO_MOTO] == [{"TableName": TABLE, "Key": "not a key"}]
    answered = [answer for answer in moto_answers if not isinstance(answer, str)]
    statuses = {status for status, _, _ in answered}
    errors = {answer["__type"].rpartition("#")[2] for status, _, answer in answered if status != 200}
    assert statuses == {200, 400}
    assert "KeyError" in moto_answers, "a call without its table name fails in moto's handler, either way"
    assert errors >= {
        "ConditionalCheckFailedException",
        "TransactionCanceledException",
        "ValidationException",
        "ResourceNotFoundException",
    }
    assert sum(len(records) for records in moto_state[1].values()) >= 10


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ({"Content-Type": "application/x-amz-json-1.1"}, b"{}"),
        (
            {"Authorization": "AWS4-HMAC-SHA256 Credential=local/20261206/us-east-1/dynamodb/aws4_request"},
            b"{}",
        ),
        ({"x-moto-account-id": "111111111111"}, b"{}"),
        ({"Content-Encoding": "gzip"}, b"{}"),
        ({}, b"not json"),
        ({}, b"[1]"),
        ({}, b'{"TableName": "t", "Key": {"pk": {"B": "not base64 \\u00e9"}}}'),
        ({}, b'{"TableName": "t&Action=ListTables", "Key": {}}'),
        ({"X-Amz-Target": "DynamoDB_20120810.DescribeTable"}, b'{"TableName": "t"}'),
    ],
)
def test_a_call_the_fast_path_would_set_up_otherwise_than_moto_is_left_to_moto(
    tables: Callable[[], None], headers: dict[str, str], body: bytes
) -> None:
    assert ItemRequests(HOST).answer({**headers_for("GetItem"), **headers}, body) is None


def test_the_data_plane_answers_item_calls_without_motos_request_set_up(
    tables: Callable[[], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    tables()
    set_up: list[str] = []
    original = BaseResponse.setup_class

    def counted(self: Any, request: Any, *args: Any, **kwargs: Any) -> None:
        set_up.append(request.headers.get("X-Amz-Target"))
        original(self, request, *args, **kwargs)

    monkeypatch.setattr(BaseResponse, "setup_class", counted)
    plane = DataPlane(REGION, EmulationChanges().request, MotoDispatch())
    put = json.dumps({"TableName": TABLE, "Item": ITEM}).encode()
    get = json.dumps({"TableName": TABLE, "Key": KEY}).encode()

    put_status, _, _ = plane.answer("POST", "/", headers_for("PutItem"), put)
    get_status, _, got = plane.answer("POST", "/", headers_for("GetItem"), get)
    described, _, _ = plane.answer("POST", "/", headers_for("DescribeTable"), json.dumps({"TableName": TABLE}).encode())

    assert (put_status, get_status, described) == (200, 200, 200)
    assert json.loads(got)["Item"]["binary"] == ITEM["binary"]
    assert set_up == ["DynamoDB_20120810.DescribeTable"]
