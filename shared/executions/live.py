"""Live execution events as Server-Sent Events: every status change (from the record's transition log, in order)
and every step change (from Step Functions' history), until the execution ends or the stream's time is up.

The stream polls: the record with a consistent read, the history when the record or the clock says something
moved. A client that reconnects sends `Last-Event-ID` and gets the status changes after it (steps are re-sent).
In the cloud this route runs in a Lambda with response streaming (API Gateway REST response streaming), so one
stream lasts up to the function's timeout and the client reconnects after it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError

from shared.aws.clients import stepfunctions_client
from shared.executions.model import ENDED, ExecutionStatus, ExecutionStep
from shared.executions.queries import find_execution, steps_of
from shared.settings import get_settings
from shared.store.executions import ExecutionItem
from shared.store.tenant_scoped import TenantContext

POLL_SECONDS = 0.25


def sse(event: str, data: dict[str, Any], event_id: str | None = None) -> str:
    lines = [f"event: {event}"] + ([f"id: {event_id}"] if event_id else []) + [f"data: {json.dumps(data)}", "", ""]
    return "\n".join(lines)


def transitions_sent_before(last_event_id: str | None) -> int:
    """How many status changes the client saw, from the `Last-Event-ID` it reconnects with (`t<n>`)."""
    if last_event_id and last_event_id.startswith("t") and last_event_id[1:].isdigit():
        return int(last_event_id[1:]) + 1
    return 0


def execution_event_stream(
    tenant: TenantContext,
    execution_id: str,
    *,
    last_event_id: str | None = None,
    poll_seconds: float = POLL_SECONDS,
    stream_seconds: float | None = None,
) -> Iterator[str]:
    sent = transitions_sent_before(last_event_id)
    step_states: dict[int, str] = {}
    deadline = time.monotonic() + (stream_seconds or get_settings().live_stream_seconds)
    while True:
        record = find_execution(tenant, execution_id, consistent=True)
        for position, transition in enumerate(record.transitions[sent:], start=sent):
            change = {"execution_id": execution_id, "status": transition.status, "at": transition.at.isoformat()}
            yield sse("status", change, f"t{position}")
            sent = position + 1
        for position, step in enumerate(_steps(record)):
            if step_states.get(position) != step.status.value:
                step_states[position] = step.status.value
                yield sse("step", step.model_dump(mode="json"))
        if ExecutionStatus(record.status) in ENDED and sent == len(record.transitions):
            yield sse("end", {"execution_id": execution_id, "status": record.status})
            return
        if time.monotonic() >= deadline:
            return
        time.sleep(poll_seconds)


def _steps(record: ExecutionItem) -> list[ExecutionStep]:
    try:
        events = stepfunctions_client().get_execution_history(executionArn=record.execution_arn, maxResults=1000)
    except ClientError as error:
        if error.response["Error"]["Code"] == "ExecutionDoesNotExist":
            return []
        raise
    return steps_of([dict(event) for event in events["events"]])
