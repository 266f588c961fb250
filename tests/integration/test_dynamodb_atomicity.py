"""The emulation's DynamoDB: transactions are all or nothing, conditions hold under concurrency."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from devserver.dynamodb_atomicity import install_dynamodb_atomicity

TABLE = "atomicity"


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    install_dynamodb_atomicity()
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName=TABLE,
            AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"} for key in ("pk", "sk")],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield client


def _open_guard() -> dict[str, Any]:
    """A transaction's check that the guard item is open."""
    return {
        "ConditionCheck": {
            "TableName": TABLE,
            "Key": _key("guard"),
            "ConditionExpression": "#open = :yes",
            "ExpressionAttributeNames": {"#open": "open"},
            "ExpressionAttributeValues": {":yes": {"BOOL": True}},
        }
    }


def _key(pk: str, sk: str = "item") -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _items(client: Any) -> dict[str, dict[str, Any]]:
    return {item["pk"]["S"]: item for item in client.scan(TableName=TABLE, ConsistentRead=True)["Items"]}


def _add(pk: str, amount: int = 1) -> dict[str, Any]:
    return {
        "Update": {
            "TableName": TABLE,
            "Key": _key(pk),
            "UpdateExpression": "ADD n :amount",
            "ExpressionAttributeValues": {":amount": {"N": str(amount)}},
        }
    }


def test_a_cancelled_transaction_puts_back_every_item_it_touched(dynamodb: Any) -> None:
    dynamodb.put_item(TableName=TABLE, Item={**_key("counter"), "n": {"N": "5"}})
    dynamodb.put_item(TableName=TABLE, Item={**_key("doomed"), "v": {"S": "kept"}})
    dynamodb.put_item(TableName=TABLE, Item={**_key("guard"), "open": {"BOOL": False}})
    before = _items(dynamodb)

    with pytest.raises(ClientError) as raised:
        dynamodb.transact_write_items(
            TransactItems=[
                _add("counter"),  # changes moto's item in place before the guard fails
                {"Put": {"TableName": TABLE, "Item": {**_key("new"), "v": {"S": "x"}}}},
                {"Delete": {"TableName": TABLE, "Key": _key("doomed")}},
                _open_guard(),
            ]
        )

    assert raised.value.response["Error"]["Code"] == "TransactionCanceledException"
    reasons = [reason["Code"] for reason in raised.value.response["CancellationReasons"]]
    assert reasons == ["None", "None", "None", "ConditionalCheckFailed"]
    assert _items(dynamodb) == before


def test_a_cancelled_transaction_leaves_no_record_in_the_tables_stream(dynamodb: Any) -> None:
    from moto.backends import get_backend

    dynamodb.update_table(
        TableName=TABLE, StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    )
    dynamodb.put_item(TableName=TABLE, Item={**_key("guard"), "open": {"BOOL": False}})
    shard = get_backend("dynamodb")["123456789012"]["us-east-1"].tables[TABLE].stream_shard
    assert shard is not None
    recorded = len(shard.items)

    with pytest.raises(ClientError):
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": TABLE, "Item": {**_key("started"), "v": {"S": "new"}}}},
                _add("counter"),
                _open_guard(),
            ]
        )

    assert len(shard.items) == recorded


def test_an_invalid_operation_after_a_write_leaves_nothing_written(dynamodb: Any) -> None:
    dynamodb.put_item(TableName=TABLE, Item={**_key("counter"), "n": {"N": "1"}})
    dynamodb.put_item(TableName=TABLE, Item={**_key("text"), "n": {"S": "not a number"}})
    before = _items(dynamodb)

    with pytest.raises(ClientError):
        dynamodb.transact_write_items(TransactItems=[_add("counter"), _add("text")])

    assert _items(dynamodb) == before


def test_a_committed_transaction_writes_every_item(dynamodb: Any) -> None:
    dynamodb.put_item(TableName=TABLE, Item={**_key("counter"), "n": {"N": "1"}})

    dynamodb.transact_write_items(
        TransactItems=[_add("counter", 2), {"Put": {"TableName": TABLE, "Item": {**_key("new"), "v": {"S": "x"}}}}]
    )

    items = _items(dynamodb)
    assert items["counter"]["n"] == {"N": "3"}
    assert items["new"]["v"] == {"S": "x"}


def test_concurrent_transactions_for_one_key_start_exactly_one_and_lose_no_counts(dynamodb: Any) -> None:
    def claim(attempt: int) -> bool:
        try:
            dynamodb.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": TABLE,
                            "Item": {**_key("claim"), "by": {"N": str(attempt)}},
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    _add("claims"),
                ]
            )
        except ClientError as error:
            assert error.response["Error"]["Code"] == "TransactionCanceledException"
            return False
        return True

    def count(attempt: int) -> None:
        dynamodb.transact_write_items(TransactItems=[_add("total"), _add(f"own-{attempt}")])

    with ThreadPoolExecutor(max_workers=16) as pool:
        claimed = list(pool.map(claim, range(64)))
        list(pool.map(count, range(64)))

    items = _items(dynamodb)
    assert claimed.count(True) == 1
    assert items["claims"]["n"] == {"N": "1"}
    assert items["total"]["n"] == {"N": "64"}
    assert sum(1 for pk in items if pk.startswith("own-")) == 64


def test_updates_with_the_same_expression_apply_their_own_values(dynamodb: Any) -> None:
    for pk, amount in (("first", 2), ("second", 5), ("first", 3)):
        dynamodb.update_item(
            TableName=TABLE,
            Key=_key(pk),
            UpdateExpression="ADD n :amount SET label = :label",
            ExpressionAttributeValues={":amount": {"N": str(amount)}, ":label": {"S": f"{pk}-{amount}"}},
        )

    items = _items(dynamodb)
    assert (items["first"]["n"], items["first"]["label"]) == ({"N": "5"}, {"S": "first-3"})
    assert (items["second"]["n"], items["second"]["label"]) == ({"N": "5"}, {"S": "second-5"})


def test_a_transactions_conditional_writes_are_decided_by_one_reading_of_each_condition(
    dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.dynamodb.comparisons import ConditionExpressionParser

    parsed: list[str | None] = []
    parse = ConditionExpressionParser.parse

    def counting(self: ConditionExpressionParser) -> Any:
        parsed.append(self.condition_expression)
        return parse(self)

    monkeypatch.setattr(ConditionExpressionParser, "parse", counting)
    dynamodb.put_item(TableName=TABLE, Item={**_key("counter"), "n": {"N": "1"}})
    below_two = {"ConditionExpression": "n < :two", "ExpressionAttributeValues": {":two": {"N": "2"}}}
    bump = {"Update": {**_add("counter")["Update"], **below_two}}
    bump["Update"]["ExpressionAttributeValues"] = {":amount": {"N": "1"}, ":two": {"N": "2"}}
    fresh = {"Put": {"TableName": TABLE, "Item": {**_key("fresh")}, "ConditionExpression": "attribute_not_exists(pk)"}}

    dynamodb.transact_write_items(TransactItems=[bump, fresh])
    with pytest.raises(ClientError) as refused:
        dynamodb.transact_write_items(TransactItems=[bump])

    assert refused.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert _items(dynamodb)["counter"]["n"] == {"N": "2"} and "fresh" in _items(dynamodb)
    # moto's request handler reads each condition once to validate it, the transaction once to decide it.
    assert (parsed.count("n < :two"), parsed.count("attribute_not_exists(pk)")) == (4, 2)


def test_a_transactions_update_copies_its_item_once_for_the_rollback_and_the_streams_old_image(
    dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stream record's old image is the item before the update, a cancelled transaction puts that item back, and
    the next change of the item (outside any transaction) is recorded with its own old image."""
    from moto.backends import get_backend
    from moto.dynamodb.models.dynamo_type import Item

    dynamodb.update_table(
        TableName=TABLE, StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    )
    nested = {"M": {"seen": {"L": [{"S": "a"}]}, "n": {"N": "1"}}}
    dynamodb.put_item(TableName=TABLE, Item={**_key("record"), "state": nested, "status": {"S": "RUNNING"}})
    dynamodb.put_item(TableName=TABLE, Item={**_key("guard"), "open": {"BOOL": False}})
    shard: Any = get_backend("dynamodb")["123456789012"]["us-east-1"].tables[TABLE].stream_shard
    before = _items(dynamodb)
    copies: list[object] = []
    copy_item = Item.__deepcopy__

    def counted(self: Any, memo: dict[int, Any]) -> Any:
        copied = copy_item(self, memo)
        if all(copied is not other for other in copies):  # a copy handed out again is not a new one
            copies.append(copied)
        return copied

    monkeypatch.setattr(Item, "__deepcopy__", counted)
    update = {
        "Update": {
            "TableName": TABLE,
            "Key": _key("record"),
            "UpdateExpression": "SET #state.#seen[1] = :b, #status = :done",
            "ExpressionAttributeNames": {"#state": "state", "#seen": "seen", "#status": "status"},
            "ExpressionAttributeValues": {":b": {"S": "b"}, ":done": {"S": "SUCCEEDED"}},
        }
    }
    guard = _open_guard()
    with pytest.raises(ClientError):
        dynamodb.transact_write_items(TransactItems=[update, guard])
    copied_by_the_cancelled_one = len(copies)
    assert _items(dynamodb) == before

    copies.clear()
    dynamodb.transact_write_items(TransactItems=[update])
    copied_by_the_committed_one = len(copies)
    committed = shard.items[-1].record["dynamodb"]
    copies.clear()
    dynamodb.update_item(
        TableName=TABLE,
        Key=_key("record"),
        UpdateExpression="SET #status = :again",
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues={":again": {"S": "AGAIN"}},
    )
    after = shard.items[-1].record["dynamodb"]

    # Once in each transaction (the rollback's copy serves the stream); moto's own UpdateItem copies for its answer too.
    assert (copied_by_the_cancelled_one, copied_by_the_committed_one, len(copies)) == (1, 1, 2)
    assert committed["OldImage"]["state"] == nested
    assert committed["OldImage"]["status"] == {"S": "RUNNING"}
    assert committed["NewImage"]["state"]["M"]["seen"] == {"L": [{"S": "a"}, {"S": "b"}]}
    assert after["OldImage"]["status"] == {"S": "SUCCEEDED"}
    assert after["OldImage"]["state"] == committed["NewImage"]["state"]
