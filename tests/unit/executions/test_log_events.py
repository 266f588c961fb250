"""Express machines' CloudWatch Logs execution events → status changes of the EventBridge detail shape."""

from __future__ import annotations

import json
from typing import Any

from shared.aws.cloudwatch_logs import decode_logs_data, encode_logs_data, is_logs_subscription_event, log_messages
from shared.executions.log_events import status_changes_from_logs

TENANT = "5f0c2b9e8d7a4c1e9b3f6a2d4e8c0b1a"
EXECUTION = "19aa0f3c2d1e0123456789a"
MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:forge-wf-abc"
ARN = f"arn:aws:states:us-east-1:123456789012:express:forge-wf-abc:{TENANT}_{EXECUTION}:5b3c6a9e-0000-4000-8000-1"


def logged(event_type: str, at: int, details: dict[str, Any] | None = None, arn: str = ARN) -> str:
    return json.dumps(
        {
            "id": "1",
            "type": event_type,
            "details": details or {},
            "previous_event_id": "0",
            "event_timestamp": str(at),
            "execution_arn": arn,
            "redrive_count": "0",
        }
    )


def test_each_execution_event_becomes_the_status_change_of_its_type() -> None:
    changes = status_changes_from_logs(
        [
            logged("ExecutionStarted", 1_000, {"input": "{}"}),
            logged("PassStateEntered", 1_001, {"name": "shape"}),
            logged("ExecutionSucceeded", 1_500, {"output": '{"a":1}', "outputDetails": {"truncated": False}}),
        ]
    )

    assert changes == [
        {
            "executionArn": ARN,
            "name": f"{TENANT}_{EXECUTION}",
            "status": "RUNNING",
            "redriveCount": 0,
            "startDate": 1000,
        },
        {
            "executionArn": ARN,
            "name": f"{TENANT}_{EXECUTION}",
            "status": "SUCCEEDED",
            "redriveCount": 0,
            "startDate": 1000,
            "stopDate": 1500,
            "output": '{"a":1}',
        },
    ]


def test_an_end_without_its_start_in_the_batch_dates_the_start_from_the_execution_id() -> None:
    (failed,) = status_changes_from_logs([logged("ExecutionFailed", 1_795_000_000_000, {"error": "E", "cause": "C"})])
    (timed_out,) = status_changes_from_logs(
        [logged("ExecutionTimedOut", 1_795_000_000_000, {"error": "States.Timeout"})]
    )
    (aborted,) = status_changes_from_logs([logged("ExecutionAborted", 1_795_000_000_000)])

    assert failed["startDate"] == int(EXECUTION[:11], 16) and (failed["error"], failed["cause"]) == ("E", "C")
    assert (failed["status"], timed_out["status"], aborted["status"]) == ("FAILED", "TIMED_OUT", "ABORTED")
    assert timed_out["error"] == "States.Timeout" and "cause" not in timed_out and "output" not in aborted


def test_a_truncated_output_is_not_recorded() -> None:
    (ended,) = status_changes_from_logs(
        [logged("ExecutionSucceeded", 2_000, {"output": '{"big": "xxx', "outputDetails": {"truncated": True}})]
    )

    assert ended["status"] == "SUCCEEDED" and "output" not in ended


def test_what_is_not_a_platform_execution_event_reports_nothing() -> None:
    standard_arn = f"arn:aws:states:us-east-1:123456789012:execution:forge-wf-abc:{TENANT}_{EXECUTION}"
    changes = status_changes_from_logs(
        [
            "not json",
            json.dumps(["a", "list"]),
            logged("TaskStateExited", 1_000),
            logged("ExecutionSucceeded", 1_000, arn=f"{MACHINE.replace('stateMachine', 'express')}:someone-else:1"),
            json.dumps({"type": "ExecutionStarted", "execution_arn": ARN}),
            logged("ExecutionStarted", 3_000, arn=standard_arn),
        ]
    )

    # Only the last: a standard execution's ARN names the execution the same way.
    assert [change["name"] for change in changes] == [f"{TENANT}_{EXECUTION}"]


def test_a_subscription_batch_round_trips_and_a_control_message_carries_no_events() -> None:
    batch = {
        "messageType": "DATA_MESSAGE",
        "owner": "123456789012",
        "logGroup": "/aws/vendedlogs/states/forge-wf-express",
        "logStream": "s",
        "subscriptionFilters": ["f"],
        "logEvents": [{"id": "1", "timestamp": 1, "message": "hello"}],
    }

    event = encode_logs_data(batch)
    control = encode_logs_data(batch | {"messageType": "CONTROL_MESSAGE"})

    assert is_logs_subscription_event(event) and not is_logs_subscription_event({"detail": {}})
    assert log_messages(event) == ["hello"] and decode_logs_data(event) == batch
    assert log_messages(control) == []
