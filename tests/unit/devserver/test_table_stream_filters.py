"""The local stream poller hands a function only the records its event source mapping's filters pass: the search
indexer gets what search documents are made of and a tenant's performance counters only at their 1st, 10th, 100th...
execution; the scanner only inserts of pending versions and rescan marks; execution_usage only the inserts and the
ends of execution records."""

from __future__ import annotations

from typing import Any, cast

import pytest

from devserver.table_stream_poller import StreamConsumer
from shared.catalog import CATALOG, CATALOG_BY_NAME


def record(event: str, pk: str, sk: str, **image: dict[str, Any]) -> dict[str, Any]:
    keys = {"pk": {"S": pk}, "sk": {"S": sk}}
    return {"eventName": event, "dynamodb": {"Keys": keys, "NewImage": {**keys, **image}}}


INDEXER = StreamConsumer("indexer", CATALOG_BY_NAME["marketplace_search_indexer"])
SCANNER = StreamConsumer("scanner", CATALOG_BY_NAME["marketplace_scanner"])


@pytest.mark.parametrize(
    ("change", "indexed"),
    [
        (record("MODIFY", "MARKET#ITEM#acme/ping", "ITEM"), True),
        (record("INSERT", "MARKET#ITEM#acme/ping", "VERSION#1.0.0", status={"S": "pending"}), True),
        (record("MODIFY", "MARKET#NS#acme", "NAMESPACE", verified={"BOOL": True}), True),
        (record("INSERT", "MARKET#ITEM#acme/ping", "PERF#1f2e", executions={"N": "1"}), True),
        (record("MODIFY", "MARKET#ITEM#acme/ping", "PERF#1f2e", executions={"N": "100"}), True),
        (record("MODIFY", "MARKET#ITEM#acme/ping", "PERF#1f2e", executions={"N": "2"}), False),
        (record("MODIFY", "MARKET#ITEM#acme/ping", "PERF#1f2e", executions={"N": "57"}), False),
        (record("INSERT", "MARKET#ITEM#acme/ping", "REVIEW#r1"), False),
        (record("INSERT", "PLATFORM#SMOKE", "RUN#1"), False),
    ],
)
def test_the_indexer_gets_only_changes_of_search_documents(change: dict[str, Any], indexed: bool) -> None:
    assert INDEXER.wants(change) is indexed


def test_the_scanner_gets_only_pending_inserts_and_rescan_marks() -> None:
    pending = record("INSERT", "MARKET#ITEM#acme/ping", "VERSION#1.0.0", status={"S": "pending"})
    approved = record("MODIFY", "MARKET#ITEM#acme/ping", "VERSION#1.0.0", status={"S": "approved"})
    marked = record("MODIFY", "MARKET#ITEM#acme/ping", "VERSION#1.0.0", rescan_requested={"S": "7"})

    assert [SCANNER.wants(change) for change in (pending, approved, marked)] == [True, False, True]


CONSUMERS = [StreamConsumer(spec.name, spec) for spec in CATALOG if spec.table_stream_source is not None]
CHANGES = [
    record(event, pk, sk, **image)
    for event in ("INSERT", "MODIFY", "REMOVE")
    for pk, sk, image in (
        ("MARKET#ITEM#acme/ping", "VERSION#1.0.0", {"status": {"S": "pending"}}),
        ("MARKET#ITEM#acme/ping", "ITEM", {}),
        ("MARKET#ITEM#acme/ping", "VERSION#1.0.0", {"rescan_requested": {"S": "7"}}),
        ("TENANT#t", "EXECUTION#e", {"execution_arn": {"S": "arn:aws:states:us-east-1:1:execution:m:e"}}),
    )
]


@pytest.mark.parametrize("consumer", CONSUMERS, ids=lambda consumer: consumer.function)
def test_a_record_skipped_by_its_event_name_is_one_no_filter_of_the_consumer_passes(consumer: StreamConsumer) -> None:
    for change in CHANGES:
        if not consumer.may_want(change["eventName"]):
            assert not consumer.wants(change)
    assert [consumer.wants(change) for change in CHANGES].count(True) >= 1


def status_change(old: str, new: str, **image: dict[str, Any]) -> dict[str, Any]:
    change = record("MODIFY", "TENANT#t#EXEC", "ex1", status={"S": new}, **image)
    change["dynamodb"]["OldImage"] = {**change["dynamodb"]["Keys"], "status": {"S": old}, **image}
    return change


ARN = {"execution_arn": {"S": "arn:aws:states:us-east-1:1:execution:m:e"}}


def test_the_usage_counter_is_offered_inserts_and_changes_only() -> None:
    counter = StreamConsumer("counter", CATALOG_BY_NAME["execution_usage"])

    assert [counter.may_want(name) for name in ("INSERT", "MODIFY", "REMOVE")] == [True, True, False]


@pytest.mark.parametrize(
    ("change", "taken"),
    [
        (record("INSERT", "TENANT#t#EXEC", "ex1", status={"S": "RUNNING"}, **ARN), True),
        (record("INSERT", "TENANT#t#EXEC", "IDEM#k"), False),
        (status_change("RUNNING", "SUCCEEDED", **ARN), True),
        (status_change("RUNNING", "FAILED", **ARN), True),
        (status_change("PENDING_REDRIVE", "TIMED_OUT", **ARN), True),
        # Cancelled: nothing about the version's quality.
        (status_change("RUNNING", "ABORTED", **ARN), False),
        # A start applied, a redrive, a later change of an ended record: not ends.
        (status_change("RUNNING", "RUNNING", **ARN), False),
        (status_change("FAILED", "RUNNING", **ARN), False),
        (status_change("FAILED", "FAILED", **ARN), False),
        (status_change("RUNNING", "SUCCEEDED"), False),
    ],
)
def test_execution_usage_gets_the_inserts_and_the_ends_of_execution_records_only(
    change: dict[str, Any], taken: bool
) -> None:
    assert StreamConsumer("usage", CATALOG_BY_NAME["execution_usage"]).wants(change) is taken


@pytest.mark.parametrize("consumer", CONSUMERS, ids=lambda consumer: consumer.function)
def test_a_consumer_takes_what_motos_own_matcher_takes(consumer: StreamConsumer) -> None:
    changes = [
        *CHANGES,
        status_change("RUNNING", "FAILED", **ARN),
        status_change("RUNNING", "ABORTED", **ARN),
        status_change("FAILED", "RUNNING", **ARN),
    ]

    assert [consumer.wants(change) for change in changes] == [
        any(pattern.matches_event(cast(Any, change)) for pattern in consumer.patterns) for change in changes
    ]
