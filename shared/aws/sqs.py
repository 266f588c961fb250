"""SQS batches for functions that an event source mapping with `ReportBatchItemFailures` invokes: one record at a
time, the failed ones reported back so that only they are retried.

Powertools' BatchProcessor does the same, but importing it loads every event source data class Powertools has (about
60 ms of cold start, more than this module's whole job). This keeps its semantics: a record whose handler raises is
reported in `batchItemFailures`; if every record of the batch failed, the invocation fails (the whole batch is
retried, as Lambda would retry it anyway); an event that is not an SQS batch is an error.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypedDict

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger


class PartialItemFailure(TypedDict):
    itemIdentifier: str


class PartialBatchResponse(TypedDict):
    batchItemFailures: list[PartialItemFailure]


class SqsRecord(BaseModel):
    """The fields of an SQS record the handlers read (the message attributes stay in the raw record)."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    message_id: str = Field(alias="messageId")
    body: str
    attributes: dict[str, str] = Field(default_factory=dict)

    @property
    def sent_at(self) -> datetime:
        """When the message was sent to the queue (its `SentTimestamp` attribute, milliseconds since the epoch)."""
        return datetime.fromtimestamp(int(self.attributes["SentTimestamp"]) / 1000, tz=UTC)


class EntireBatchFailed(RuntimeError):
    """Every record of the batch failed: the invocation fails and the whole batch comes back."""


def process_partial_batch(
    event: dict[str, Any], record_handler: Callable[[SqsRecord], None], logger: Logger
) -> PartialBatchResponse:
    records = event.get("Records")
    if not records or not isinstance(records, list):
        raise ValueError("Not an SQS batch: the event has no `Records` list")
    parsed = [SqsRecord.model_validate(record) for record in records]
    failures: list[PartialItemFailure] = []
    for record in parsed:
        try:
            record_handler(record)
        except Exception as error:  # noqa: BLE001 - any failure of one record is that record's, reported for a retry
            # The error's type only: its message may quote the record's body, which can hold secrets.
            logger.warning(
                "batch record failed", extra={"message_id": record.message_id, "error": type(error).__name__}
            )
            failures.append({"itemIdentifier": record.message_id})
    if failures and len(failures) == len(parsed):
        raise EntireBatchFailed(f"All {len(parsed)} records of the batch failed; the whole batch will be retried")
    return {"batchItemFailures": failures}
