"""Live execution events as Server-Sent Events: every status change (from the record's transition log, in order)
and every step change (folded from Step Functions' history, an append-only log), until the execution ends or the
stream's time is up.

The stream polls: the record with a consistent read, then the history. Each event's id is the position in both
logs, `<status changes sent>-<history events seen>`; a client that reconnects with `Last-Event-ID` gets exactly
what came after it (a step event carries the id only when its batch is complete, so a broken batch is sent again).

In the cloud the API's Lambda functions answer through Mangum, which buffers a response: a stream that stayed
open would reach the client only when it ended. There (`FORGE_HTTP_BUFFERED`) a stream ends after its first batch
of events and tells the client to reconnect at once (`retry`), so EventSource clients follow the execution with a
poll interval of delay and nothing lost; `forge dev` streams one response for the whole execution.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError

from shared.aws import stepfunctions
from shared.executions.record import find_execution
from shared.executions.statuses import ENDED, ExecutionStatus
from shared.executions.steps import steps_of
from shared.settings import get_settings
from shared.store.executions import ExecutionItem
from shared.store.tenant_scoped import TenantContext

POLL_SECONDS = 0.25
RECONNECT_MILLISECONDS = 250
BUFFERED_STREAM_SECONDS = 20.0


def sse(event: str, data: dict[str, Any], event_id: str | None = None) -> str:
    lines = [f"event: {event}"] + ([f"id: {event_id}"] if event_id else []) + [f"data: {json.dumps(data)}", "", ""]
    return "\n".join(lines)


def resume_position(last_event_id: str | None) -> tuple[int, int]:
    """(status changes sent, history events seen) from the `Last-Event-ID` a client reconnects with."""
    sent, _, seen = (last_event_id or "").partition("-")
    if sent.isdigit() and seen.isdigit():
        return int(sent), int(seen)
    return 0, 0


def execution_event_stream(
    tenant: TenantContext,
    execution_id: str,
    *,
    last_event_id: str | None = None,
    poll_seconds: float = POLL_SECONDS,
    stream_seconds: float | None = None,
) -> Iterator[str]:
    settings = get_settings()
    sent, seen = resume_position(last_event_id)
    seconds = stream_seconds or settings.live_stream_seconds
    # A buffered answer must come back within the function's (and API Gateway's) 29 s.
    deadline = time.monotonic() + (min(seconds, BUFFERED_STREAM_SECONDS) if settings.http_buffered else seconds)
    if settings.http_buffered:
        yield f"retry: {RECONNECT_MILLISECONDS}\n\n"
    record = find_execution(tenant, execution_id, consistent=True)
    history = _history(record)
    step_states = {position: step.status.value for position, step in enumerate(steps_of(history[:seen]))}
    while True:
        batch: list[str] = []
        for position, transition in enumerate(record.transitions[sent:], start=sent):
            change = {"execution_id": execution_id, "status": transition.status, "at": transition.at.isoformat()}
            batch.append(sse("status", change, f"{position + 1}-{seen}"))
            sent = position + 1
        changed = []
        for position, step in enumerate(steps_of(history)):
            if step_states.get(position) != step.status.value:
                step_states[position] = step.status.value
                changed.append(step)
        seen = len(history)
        for number, step in enumerate(changed, start=1):
            batch.append(
                sse("step", step.model_dump(mode="json"), f"{sent}-{seen}" if number == len(changed) else None)
            )
        yield from batch
        if ExecutionStatus(record.status) in ENDED and sent == len(record.transitions):
            yield sse("end", {"execution_id": execution_id, "status": record.status}, f"{sent}-{seen}")
            return
        if (batch and settings.http_buffered) or time.monotonic() >= deadline:
            return
        time.sleep(poll_seconds)
        record = find_execution(tenant, execution_id, consistent=True)
        history = _history(record)


def _history(record: ExecutionItem) -> list[dict[str, Any]]:
    try:
        return stepfunctions.execution_history(record.execution_arn)
    except ClientError as error:
        if error.response["Error"]["Code"] == "ExecutionDoesNotExist":
            return []
        raise
