"""The built-in smoke workflow: proves a deployment (or the local platform) runs real handlers in Step Functions."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, Field

from shared.aws import stepfunctions
from shared.problems import NotFound
from shared.settings import get_settings
from shared.store import smoke_runs

RunStatus = Literal["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE"]


class SmokeRunRequest(BaseModel):
    name: str = Field(default="world", min_length=1, max_length=64, description="Who the smoke task greets")


class SmokeRun(BaseModel):
    run_id: str
    status: RunStatus
    input: dict[str, object]
    output: object | None = None
    error: str | None = None
    cause: str | None = None
    started_at: datetime
    stopped_at: datetime | None = None


def _to_model(item: smoke_runs.SmokeRunItem) -> SmokeRun:
    return SmokeRun(
        run_id=item.run_id,
        status=item.status,
        input=item.input,
        output=item.output,
        error=item.error,
        cause=item.cause,
        started_at=item.started_at,
        stopped_at=item.stopped_at,
    )


def start_smoke_run(request: SmokeRunRequest) -> SmokeRun:
    run_id = uuid.uuid4().hex
    run_input = request.model_dump()
    response = stepfunctions.start_execution(
        get_settings().require("state_machine_smoke"), run_id, json.dumps(run_input)
    )
    item = smoke_runs.save_new_run(run_id, response["executionArn"], run_input, response["startDate"])
    return _to_model(item)


def get_smoke_run(run_id: str) -> SmokeRun:
    item = smoke_runs.find_run(run_id)
    if item is None:
        raise NotFound(f"No smoke run with id {run_id!r}")
    if item.status == "RUNNING":
        _refresh_from_execution(item)
    return _to_model(item)


def _refresh_from_execution(item: smoke_runs.SmokeRunItem) -> None:
    execution = stepfunctions.describe_execution(item.execution_arn)
    if execution["status"] == "RUNNING":
        return
    output = json.loads(execution["output"]) if execution.get("output") else None
    smoke_runs.record_outcome(
        item,
        status=execution["status"],
        output=output,
        error=execution.get("error"),
        cause=execution.get("cause"),
        stopped_at=execution.get("stopDate") or datetime.now(UTC),
    )
