"""The local stream poller invokes a table's consumers as Lambda's event source mapping does: a batch once the
function's batching window has passed since its oldest waiting record, or at once when a batch is full (at most 100
records), each record as Lambda's event carries it (devserver/table_stream_poller.py)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.backends import get_backend
from moto.core.models import DEFAULT_ACCOUNT_ID

import devserver.table_stream_poller as table_stream_poller
from devserver.table_stream_poller import StreamConsumer, TableStreamPoller, _event_value
from shared.catalog import FunctionSpec

REGION = "us-east-1"


class RecordedInvocations:
    """The local Lambda runtime as the poller uses it, keeping each invocation's function and event."""

    account = DEFAULT_ACCOUNT_ID
    region = REGION

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    def invoke(self, function: str, payload: bytes) -> dict[str, Any]:
        self.events.append((function, json.loads(payload)))
        return {"StatusCode": 200}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def stream(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, str, TableStreamPoller, RecordedInvocations, Clock]]:
    clock = Clock()
    monkeypatch.setattr(table_stream_poller, "time", SimpleNamespace(monotonic=clock))
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        name = f"stream-{uuid.uuid4().hex[:8]}"
        dynamodb.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        runtime = RecordedInvocations()
        poller = TableStreamPoller(runtime, "unused")  # type: ignore[arg-type]
        spec = FunctionSpec(
            name="counter",
            description="counts inserts",
            table_stream_filters=({"eventName": ["INSERT"]},),
            table_stream_batching_seconds=10,
        )
        poller.consumers = {name: [StreamConsumer("counter", spec)]}
        yield dynamodb, name, poller, runtime, clock


def put(dynamodb: Any, table: str, count: int, **attributes: dict[str, Any]) -> None:
    for _ in range(count):
        item = {"pk": {"S": uuid.uuid4().hex}, **attributes}
        dynamodb.put_item(TableName=table, Item=item)


def delivered(runtime: RecordedInvocations) -> list[int]:
    return [len(event["Records"]) for _, event in runtime.events]


def test_records_wait_for_the_functions_batching_window_then_go_in_one_batch(stream: Any) -> None:
    dynamodb, table, poller, runtime, clock = stream
    put(dynamodb, table, 3)
    assert poller.poll_once(when_due=True) == 0
    clock.now += 6
    put(dynamodb, table, 2)
    assert poller.poll_once(when_due=True) == 0  # the window runs from the oldest waiting record

    clock.now += 4
    assert poller.poll_once(when_due=True) == 5
    assert delivered(runtime) == [5]
    assert poller.poll_once(when_due=True) == 0
    assert delivered(runtime) == [5]


def test_a_full_batch_goes_at_once_and_no_batch_holds_more_than_a_hundred_records(stream: Any) -> None:
    dynamodb, table, poller, runtime, _ = stream
    put(dynamodb, table, 99)
    assert poller.poll_once(when_due=True) == 0
    put(dynamodb, table, 31)

    assert poller.poll_once(when_due=True) == 130
    assert delivered(runtime) == [100, 30]


def test_records_no_filter_passes_count_toward_no_batch_and_are_dropped_with_it(stream: Any) -> None:
    dynamodb, table, poller, runtime, clock = stream
    key = {"pk": {"S": "changed"}}
    dynamodb.put_item(TableName=table, Item=key)
    for revision in range(120):
        dynamodb.put_item(TableName=table, Item={**key, "revision": {"N": str(revision)}})  # MODIFY, not wanted
    assert poller.poll_once(when_due=True) == 0

    clock.now += 10
    assert poller.poll_once(when_due=True) == 121
    assert delivered(runtime) == [1]
    assert poller.poll_once() == 0


def test_each_record_is_the_event_lambda_carries_as_json_reads_it_back(stream: Any) -> None:
    dynamodb, table, poller, runtime, _ = stream
    put(dynamodb, table, 1, name={"S": "plain"}, size={"N": "12"})
    put(dynamodb, table, 1, blob={"B": b"\x00\x01binary"}, nested={"M": {"inner": {"B": b"\xff"}}})
    shard: Any = get_backend("dynamodb")[DEFAULT_ACCOUNT_ID][REGION].tables[table].stream_shard
    stream_arn = f"{shard.table.table_arn}/stream/{shard.table.latest_stream_label}"
    # What the poller sent before each record's JSON was written once: the whole batch written and read back.
    expected = json.loads(
        json.dumps([{**record.to_json(), "eventSourceARN": stream_arn} for record in shard.items], default=_event_value)
    )

    assert poller.poll_once() == 2
    assert runtime.events == [("counter", {"Records": expected})]
    assert isinstance(expected[0]["dynamodb"]["ApproximateCreationDateTime"], float)


def test_a_waiting_batch_is_delivered_at_once_when_asked_and_a_table_recreated_starts_afresh(stream: Any) -> None:
    dynamodb, table, poller, runtime, _ = stream
    put(dynamodb, table, 2)
    assert poller.poll_once(when_due=True) == 0
    dynamodb.delete_table(TableName=table)
    assert poller.poll_once() == 0
    dynamodb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    put(dynamodb, table, 1)

    assert poller.poll_once() == 1
    assert delivered(runtime) == [1]
