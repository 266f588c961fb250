"""ML jobs: start a kind's pipeline (train, gate, register, transform) and follow it."""

from __future__ import annotations

from fastapi import APIRouter

from shared.auth.dependencies import CurrentPrincipal
from shared.http.pagination import DEFAULT_LIMIT, PageCursor, PageLimit
from shared.ml.jobs import MlJob, MlJobPage, get_job, list_jobs, start_job
from shared.ml.plans import JobRequest

router = APIRouter(tags=["ml"])


@router.post("/v1/ml/jobs", status_code=202, response_model=MlJob, summary="Start an ML job (its kind's pipeline)")
def post_ml_job(request: JobRequest, principal: CurrentPrincipal) -> MlJob:
    return start_job(principal, request)


@router.get("/v1/ml/jobs", response_model=MlJobPage, summary="List ML jobs, newest first")
def get_ml_jobs(principal: CurrentPrincipal, limit: PageLimit = DEFAULT_LIMIT, cursor: PageCursor = None) -> MlJobPage:
    return list_jobs(principal, limit=limit, cursor=cursor)


@router.get("/v1/ml/jobs/{job_id}", response_model=MlJob, summary="Read an ML job: status, metrics, cost, progress")
def get_ml_job(job_id: str, principal: CurrentPrincipal) -> MlJob:
    return get_job(principal, job_id)
