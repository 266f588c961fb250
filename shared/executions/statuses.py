"""What triggers an execution and the statuses it goes through: plain enums, without the API's pydantic models
(shared/executions/model.py), so that the event-driven functions that start and settle executions load no model
they never use."""

from __future__ import annotations

from enum import StrEnum


class Trigger(StrEnum):
    MANUAL = "manual"
    WEBHOOK = "webhook"
    SCHEDULE = "schedule"
    RERUN = "rerun"
    REDRIVE = "redrive"
    ERROR_WORKFLOW = "error_workflow"
    MCP = "mcp"


class ExecutionStatus(StrEnum):
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    TIMED_OUT = "TIMED_OUT"
    ABORTED = "ABORTED"
    PENDING_REDRIVE = "PENDING_REDRIVE"


ENDED_BADLY = frozenset({ExecutionStatus.FAILED, ExecutionStatus.TIMED_OUT, ExecutionStatus.ABORTED})
ENDED = ENDED_BADLY | {ExecutionStatus.SUCCEEDED}
