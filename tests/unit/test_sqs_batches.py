"""Partial batch responses for SQS-fed functions (shared/aws/sqs.py): the semantics of Powertools' BatchProcessor."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from aws_lambda_powertools import Logger

from shared.aws.sqs import EntireBatchFailed, SqsRecord, process_partial_batch

SECRET = "token-that-no-log-may-hold"


def record(message_id: str, body: str) -> dict[str, Any]:
    return {
        "messageId": message_id,
        "receiptHandle": f"handle-{message_id}",
        "body": body,
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1700000000123", "SenderId": "states"},
        "messageAttributes": {},
        "eventSource": "aws:sqs",
    }


def handle(message: SqsRecord) -> None:
    if message.body.startswith("bad"):
        raise ValueError(f"cannot record {message.body} {SECRET}")


def test_only_the_failed_records_are_reported(capsys: pytest.CaptureFixture[str]) -> None:
    seen: list[str] = []

    def handler(message: SqsRecord) -> None:
        seen.append(message.message_id)
        handle(message)

    event = {"Records": [record("a", "good"), record("b", "bad one"), record("c", "good"), record("d", "bad two")]}
    answer = process_partial_batch(event, handler, Logger(service="test"))

    assert answer == {"batchItemFailures": [{"itemIdentifier": "b"}, {"itemIdentifier": "d"}]}
    assert seen == ["a", "b", "c", "d"]
    logged = capsys.readouterr().out
    # Powertools writes JSON lines to stdout: one warning per failed record, naming it and the error's type only.
    assert logged.count('"batch record failed"') == 2 and '"message_id":"b"' in logged and "ValueError" in logged
    assert SECRET not in logged and "bad one" not in logged


def test_a_batch_without_failures_reports_none() -> None:
    answer = process_partial_batch({"Records": [record("a", "good")]}, handle, Logger(service="test"))
    assert answer == {"batchItemFailures": []}


def test_a_batch_whose_every_record_failed_fails_the_invocation() -> None:
    with pytest.raises(EntireBatchFailed):
        process_partial_batch({"Records": [record("a", "bad"), record("b", "bad")]}, handle, Logger(service="test"))


@pytest.mark.parametrize("event", [{}, {"Records": []}, {"Records": "x"}])
def test_an_event_that_is_not_an_sqs_batch_is_an_error(event: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="Not an SQS batch"):
        process_partial_batch(event, handle, Logger(service="test"))


def test_a_record_knows_when_it_was_sent() -> None:
    message = SqsRecord.model_validate(record("a", "good"))
    assert message.sent_at == datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=UTC)
