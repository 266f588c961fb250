"""What the API says about executions: triggers, statuses, records, pages and per-step history."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from shared.executions.statuses import ExecutionStatus, Trigger
from shared.request_types import PositiveJsonInt


class StartExecutionRequest(BaseModel):
    input: Any = Field(default_factory=dict, description="The execution's input; over 256 KB it travels via S3")
    version: PositiveJsonInt | None = Field(default=None, description="A published version; the live version if absent")


class ExecutionSummary(BaseModel):
    execution_id: str
    workflow_id: str
    version: int
    trigger: Trigger
    source: str | None = Field(default=None, description="The webhook, schedule or execution that fired it")
    status: ExecutionStatus
    started_at: datetime
    stopped_at: datetime | None = None
    duration_ms: int | None = None
    error: str | None = None
    cause: str | None = None
    failed_node: str | None = None
    redrive_count: int = 0
    revision: int = 0


class TokenUsage(BaseModel):
    input_tokens: int
    output_tokens: int


class Execution(ExecutionSummary):
    input: Any = None
    output: Any = None
    usage: TokenUsage | None = Field(default=None, description="Model tokens its agent nodes spent, every turn summed")


class ExecutionPage(BaseModel):
    items: list[ExecutionSummary]
    next_cursor: str | None = None


class StepStatus(StrEnum):
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


class ExecutionStep(BaseModel):
    """One entry into a node's state (a node entered again, e.g. in a loop, is another step)."""

    node_id: str
    state: str
    status: StepStatus
    attempts: int
    started_at: datetime
    stopped_at: datetime | None = None
    duration_ms: int | None = None
    input: Any = None
    output: Any = None
    error: str | None = None
    cause: str | None = None


class ExecutionHistory(BaseModel):
    execution_id: str
    status: ExecutionStatus
    steps: list[ExecutionStep]
