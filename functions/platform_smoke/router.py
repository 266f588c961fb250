"""Runs of the built-in smoke workflow."""

from __future__ import annotations

from fastapi import APIRouter, Body

from shared.platform.smoke import SmokeRun, SmokeRunRequest, get_smoke_run, start_smoke_run

router = APIRouter(prefix="/v1/platform/smoke-runs", tags=["platform"])


@router.post("", status_code=202, response_model=SmokeRun, summary="Start the smoke workflow")
def create_smoke_run(request: SmokeRunRequest | None = Body(default=None)) -> SmokeRun:  # noqa: B008
    return start_smoke_run(request or SmokeRunRequest())


@router.get("/{run_id}", response_model=SmokeRun, summary="Read a smoke run; completes it from its execution")
def read_smoke_run(run_id: str) -> SmokeRun:
    return get_smoke_run(run_id)
