"""What the API says about executions: triggers, statuses, records, pages and per-step history, and how a record
reads as the API shows it (summary_of, execution_of)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from shared.executions.causes import public_cause
from shared.executions.payloads import load_payload
from shared.executions.statuses import ExecutionStatus, Trigger
from shared.request_types import PositiveJsonInt
from shared.store.executions import ExecutionItem


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
    output_unavailable: str | None = Field(
        default=None, description="Why a SUCCEEDED execution has no output: its end was inferred, not reported"
    )
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


def summary_of(item: ExecutionItem) -> ExecutionSummary:
    return ExecutionSummary(
        execution_id=item.execution_id,
        workflow_id=item.workflow_id,
        version=int(item.version),
        trigger=Trigger(item.trigger),
        source=item.source,
        status=ExecutionStatus(item.status),
        started_at=item.started_at,
        stopped_at=item.stopped_at,
        duration_ms=int(item.duration_ms) if item.duration_ms is not None else None,
        error=item.error,
        # Records made before causes were shaped at recording may still hold a trace.
        cause=public_cause(item.cause),
        failed_node=item.failed_node,
        redrive_count=int(item.redrive_count or 0),
        revision=int(item.revision or 0),
    )


def execution_of(item: ExecutionItem) -> Execution:
    return Execution(
        **summary_of(item).model_dump(),
        input=load_payload(item.input_ref) if item.input_ref else item.input,
        output=load_payload(item.output_ref) if item.output_ref else item.output,
        output_unavailable=item.output_unavailable,
        usage=agent_usage_of(item),
    )


def agent_usage_of(item: ExecutionItem) -> TokenUsage | None:
    if item.input_tokens is None and item.output_tokens is None:
        return None
    return TokenUsage(input_tokens=int(item.input_tokens or 0), output_tokens=int(item.output_tokens or 0))
