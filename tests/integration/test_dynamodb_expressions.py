"""The emulation's DynamoDB with condition expressions lexed once per text (devserver/dynamodb_expressions.py): each
request is still decided by its own values and names, and what moto refuses is still refused."""

from __future__ import annotations

import abc
import copy
import importlib
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb.comparisons import ConditionExpressionParser

from devserver.dynamodb_expressions import install_dynamodb_expressions

REVISION_IS = "#revision = :revision AND attribute_exists(#pk)"


@pytest.fixture
def table() -> Iterator[tuple[Any, str]]:
    install_dynamodb_expressions()
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        name = f"expressions-{uuid.uuid4().hex[:8]}"
        dynamodb.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        dynamodb.put_item(TableName=name, Item={"pk": {"S": "a"}, "revision": {"N": "1"}})
        yield dynamodb, name


def bump(dynamodb: Any, table: str, expected: int) -> bool:
    try:
        dynamodb.update_item(
            TableName=table,
            Key={"pk": {"S": "a"}},
            UpdateExpression="SET #revision = #revision + :one",
            ConditionExpression=REVISION_IS,
            ExpressionAttributeNames={"#revision": "revision", "#pk": "pk"},
            ExpressionAttributeValues={":revision": {"N": str(expected)}, ":one": {"N": "1"}},
        )
    except ClientError as error:
        assert error.response["Error"]["Code"] == "ConditionalCheckFailedException"
        return False
    return True


def test_one_condition_text_decides_each_request_by_its_own_values(table: tuple[Any, str]) -> None:
    dynamodb, name = table

    assert [bump(dynamodb, name, expected) for expected in (1, 1, 2, 5, 3)] == [True, False, True, False, True]
    assert dynamodb.get_item(TableName=name, Key={"pk": {"S": "a"}})["Item"]["revision"] == {"N": "4"}


def test_a_condition_text_is_lexed_once_however_many_requests_use_it(
    table: tuple[Any, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    dynamodb, name = table
    lexed: list[str] = []
    lex_one = ConditionExpressionParser._lex_one_node

    def counting(self: ConditionExpressionParser, remaining: str) -> Any:
        lexed.append(remaining)
        return lex_one(self, remaining)

    monkeypatch.setattr(ConditionExpressionParser, "_lex_one_node", counting)
    text = f"attribute_not_exists(#pk) OR #revision < :cap{uuid.uuid4().hex[:6]}"
    placeholder = text.rsplit(" ", 1)[1]

    for cap in range(5):
        dynamodb.put_item(
            TableName=name,
            Item={"pk": {"S": "a"}, "revision": {"N": str(cap)}},
            ConditionExpression=text,
            ExpressionAttributeNames={"#pk": "pk", "#revision": "revision"},
            ExpressionAttributeValues={placeholder: {"N": "100"}},
        )

    assert lexed.count(text) == 1


def test_a_reserved_word_as_a_plain_attribute_name_is_still_refused(table: tuple[Any, str]) -> None:
    dynamodb, name = table

    with pytest.raises(ClientError) as refused:
        dynamodb.put_item(
            TableName=name,
            Item={"pk": {"S": "b"}},
            ConditionExpression="attribute_not_exists(status)",
        )

    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert "reserved keyword" in refused.value.response["Error"]["Message"]


def test_one_update_text_applies_each_requests_values_with_its_tree_copied_without_generic_reconstruction(
    table: tuple[Any, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    dynamodb, name = table
    reconstructed: list[object] = []
    reconstruct = copy._reconstruct  # type: ignore[attr-defined]

    def counting(x: object, *args: Any, **kwargs: Any) -> Any:
        reconstructed.append(x)
        return reconstruct(x, *args, **kwargs)

    monkeypatch.setattr(copy, "_reconstruct", counting)
    text = "SET #log = list_append(if_not_exists(#log, :empty), :entry), #state = :state ADD #count :one REMOVE #lease"
    for step in ("started", "running", "ended"):
        dynamodb.update_item(
            TableName=name,
            Key={"pk": {"S": "a"}},
            UpdateExpression=text,
            ExpressionAttributeNames={"#log": "log", "#state": "state", "#count": "count", "#lease": "lease"},
            ExpressionAttributeValues={
                ":empty": {"L": []},
                ":entry": {"L": [{"S": step}]},
                ":state": {"S": step},
                ":one": {"N": "1"},
            },
        )

    item = dynamodb.get_item(TableName=name, Key={"pk": {"S": "a"}})["Item"]
    assert item["log"] == {"L": [{"S": "started"}, {"S": "running"}, {"S": "ended"}]}
    assert (item["state"], item["count"]) == ({"S": "ended"}, {"N": "3"})
    assert [type(node).__name__ for node in reconstructed if type(node).__module__.endswith("ast_nodes")] == []


def test_walking_an_update_tree_checks_node_classes_without_abcmetas_hook(
    table: tuple[Any, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.dynamodb.parsing.validators import NoneExistingPathChecker

    expressions: Any = importlib.import_module("moto.dynamodb.parsing.expressions")  # untyped in moto
    tree = expressions.UpdateExpressionParser.make("SET #a = :a, #b = #b + :one REMOVE #c")
    hooked: list[type] = []
    instance_check = abc.ABCMeta.__instancecheck__

    def counting(cls: abc.ABCMeta, instance: Any) -> bool:
        hooked.append(cls)
        return bool(instance_check(cls, instance))

    monkeypatch.setattr(abc.ABCMeta, "__instancecheck__", counting)
    walked = NoneExistingPathChecker().traverse(copy.deepcopy(tree))

    assert type(walked) is type(tree)
    assert hooked == []
