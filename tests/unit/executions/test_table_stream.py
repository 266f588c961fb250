"""The ends a batch of the executions table's stream carries, as quality control takes them: a record's change from
open to ended, read from the new image, in stream order; not a start Step Functions refused, nor another item."""

from __future__ import annotations

from typing import Any

from shared.executions.table_stream import ended_executions


def change(sequence: str, old: str, new: str, **image: dict[str, Any]) -> dict[str, Any]:
    keys = {"pk": {"S": "TENANT#acme0001#EXEC"}, "sk": {"S": f"ex{sequence}"}}
    record = {
        **keys,
        "execution_id": {"S": f"ex{sequence}"},
        "workflow_id": {"S": "wf1"},
        "version": {"N": "3"},
        "trigger": {"S": "webhook"},
        "started_at": {"S": "2026-12-06T14:00:00.000000+0000"},
        "execution_arn": {"S": f"arn:aws:states:us-east-1:1:execution:wf1:ex{sequence}"},
    }
    return {
        "eventName": "MODIFY",
        "dynamodb": {
            "Keys": keys,
            "SequenceNumber": sequence,
            "OldImage": {**record, "status": {"S": old}},
            "NewImage": {**record, "status": {"S": new}, **image},
        },
    }


def test_the_ends_of_a_batch_are_its_open_records_that_ended_with_what_their_end_wrote() -> None:
    ended = change("900", "RUNNING", "FAILED", duration_ms={"N": "120"}, input_tokens={"N": "7"})
    redriven_end = change("1000", "PENDING_REDRIVE", "SUCCEEDED")
    refused_start = change("1100", "RUNNING", "FAILED", error={"S": "States.StartFailed"})
    started = change("1200", "RUNNING", "RUNNING")
    other_item = {**change("1300", "RUNNING", "FAILED"), "eventName": "MODIFY"}
    other_item["dynamodb"]["NewImage"].pop("execution_arn")

    ends = ended_executions([ended, redriven_end, refused_start, started, other_item])

    assert [(end.tenant.tenant_id, end.record.execution_id, end.record.status) for end in ends] == [
        ("acme0001", "ex900", "FAILED"),
        ("acme0001", "ex1000", "SUCCEEDED"),
    ]
    first = ends[0].record
    assert (first.workflow_id, int(first.version), first.duration_ms, first.input_tokens) == ("wf1", 3, 120, 7)
    # Marks compare in stream order whatever their number of digits.
    assert ends[0].sequence_mark < ends[1].sequence_mark
