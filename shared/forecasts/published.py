"""GET /v1/forecasts: a tenant's latest workload forecasts, read from the forecast pipeline's batch transform output.

The pipeline (shared/ml/state_machines.py) writes one answer file per tenant, `ml/transform/forecast/<job>/
tenant=<id>.jsonl.out` (one line a series, from the transform requests ml_export writes under the same tenant name).
The key is built from the caller's own tenant id, so a tenant reads only the file of its own series. The newest job
that forecast the tenant wins (job names begin with their start time, so key order is time order); a tenant that no
job has forecast yet gets an answer saying so.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from shared.aws import s3
from shared.resources import FORECAST_OUTPUTS

FORECAST_OUTPUT_PREFIX = FORECAST_OUTPUTS.prefix
MIN_HORIZON_HOURS, MAX_HORIZON_HOURS = 24, 168
# Jobs looked at, newest first, for the tenant's file (a job may have run before the tenant existed).
_JOBS_SEARCHED = 20
_NOT_JOBS = {"requests"}


class ForecastPoint(BaseModel):
    timestamp: datetime = Field(description="The start of the hour")
    mean: float
    lower: float = Field(description="Lower bound of the prediction interval")
    upper: float = Field(description="Upper bound of the prediction interval")


class MetricForecast(BaseModel):
    metric: str = Field(description="executions, failures, p50_duration_ms, p95_duration_ms or tokens")
    workflow_id: str | None = Field(description="The workflow the series counts; null: the whole tenant")
    model: str = Field(description="The model chosen by cross-validation: auto_ets, auto_theta or seasonal_naive")
    mase: float | None = Field(description="The chosen model's cross-validation MASE (mean absolute scaled error)")
    seasonal_naive_mase: float | None = Field(description="Seasonal naive's MASE on the same windows (the baseline)")
    points: list[ForecastPoint]


class QuotaWarning(BaseModel):
    quota: str = Field(description="monthly_executions or concurrent_executions")
    limit: int = Field(description="The tier's quota")
    predicted: float = Field(description="What the forecast predicts at `reached_at`")
    reached_at: datetime = Field(description="The hour the forecast reaches the quota")
    period: str = Field(description="The period the warning is about: the month (YYYY-MM) or the day (YYYY-MM-DD)")


class TenantForecasts(BaseModel):
    tenant_id: str
    workflow_id: str | None
    available: bool = Field(description="False until a forecast job has forecast this tenant")
    detail: str
    job_id: str | None = Field(description="The forecast job whose batch transform made these forecasts")
    forecast_at: datetime | None = Field(description="When the forecasts were written")
    interval_level: float | None = Field(description="The prediction intervals' coverage, e.g. 0.9")
    horizon_hours: int = Field(description="Hours forecast ahead (at most the one asked for)")
    metrics: list[MetricForecast]
    quota_warnings: list[QuotaWarning] = Field(description="Quotas of the tier the forecast predicts the tenant hits")


class HeldOutPoint(BaseModel):
    """A step of a cross-validation window: the chosen model's forecast of it from the data before, and what came."""

    timestamp: datetime
    actual: float
    mean: float
    upper: float


class MetricValidation(BaseModel):
    metric: str
    workflow_id: str | None
    points: list[HeldOutPoint]


class PublishedForecast(BaseModel):
    """The newest transform output for a tenant, every series in it, and the held-out windows the job validated its
    choice on (what the scaling quantile is backtested on; not part of the API's answer)."""

    job_id: str
    written_at: datetime
    interval_level: float | None
    metrics: list[MetricForecast]
    validations: list[MetricValidation] = []


def latest_forecast(bucket: str, tenant_id: str) -> PublishedForecast | None:
    jobs = [folder for folder in s3.child_prefixes(bucket, FORECAST_OUTPUT_PREFIX) if _job_of(folder) not in _NOT_JOBS]
    for folder in sorted(jobs, reverse=True)[:_JOBS_SEARCHED]:
        key = f"{folder}tenant={tenant_id}.jsonl.out"
        # Listed first: without ListBucket on the whole bucket, S3 answers a missing key with 403, not 404.
        found = s3.read_if_present(bucket, key) if key in s3.first_keys(bucket, key, 1) else None
        if found is not None:
            body, written_at = found
            answers = [json.loads(line) for line in body.decode().splitlines() if line.strip()]
            return PublishedForecast(
                job_id=_job_of(folder),
                written_at=written_at,
                interval_level=next((answer.get("interval_level") for answer in answers), None),
                metrics=[_metric(tenant_id, answer) for answer in answers if "forecast" in answer],
                validations=[_validation(tenant_id, answer) for answer in answers if answer.get("validation")],
            )
    return None


def tenant_forecasts(
    published: PublishedForecast | None,
    tenant_id: str,
    *,
    workflow_id: str | None,
    horizon_hours: int,
    quota_warnings: list[QuotaWarning],
) -> TenantForecasts:
    if published is None:
        return TenantForecasts(
            tenant_id=tenant_id,
            workflow_id=workflow_id,
            available=False,
            detail="No forecast yet: the nightly forecast job has not run since this tenant's executions were "
            'exported (or a platform admin can start one: POST /v1/ml/jobs {"kind": "forecast"}).',
            job_id=None,
            forecast_at=None,
            interval_level=None,
            horizon_hours=0,
            metrics=[],
            quota_warnings=[],
        )
    metrics = [
        metric.model_copy(update={"points": metric.points[:horizon_hours]})
        for metric in published.metrics
        if metric.workflow_id == workflow_id
    ]
    found = "" if metrics or workflow_id is None else f"; no series of workflow {workflow_id!r} in it"
    return TenantForecasts(
        tenant_id=tenant_id,
        workflow_id=workflow_id,
        available=bool(metrics),
        detail=f"Forecast by job {published.job_id}{found}",
        job_id=published.job_id,
        forecast_at=published.written_at,
        interval_level=published.interval_level,
        horizon_hours=max((len(metric.points) for metric in metrics), default=0),
        metrics=metrics,
        quota_warnings=quota_warnings if workflow_id is None else [],
    )


def _job_of(folder: str) -> str:
    return folder.removeprefix(FORECAST_OUTPUT_PREFIX).rstrip("/")


def _series_name(tenant_id: str, answer: dict[str, Any]) -> tuple[str | None, str]:
    """Series are named `<tenant>:<metric>` and `<tenant>:<workflow>:<metric>` (shared/ml/series.py)."""
    name = str(answer["series"]).removeprefix(f"{tenant_id}:")
    workflow_id, _, metric = name.rpartition(":")
    return workflow_id or None, metric


def _metric(tenant_id: str, answer: dict[str, Any]) -> MetricForecast:
    workflow_id, metric = _series_name(tenant_id, answer)
    scores = answer.get("validation_mase", {})
    return MetricForecast(
        metric=metric,
        workflow_id=workflow_id,
        model=answer["model"],
        mase=_finite(scores.get(answer["model"])),
        seasonal_naive_mase=_finite(scores.get("seasonal_naive")),
        points=[ForecastPoint(**point) for point in answer["forecast"]],
    )


def _validation(tenant_id: str, answer: dict[str, Any]) -> MetricValidation:
    workflow_id, metric = _series_name(tenant_id, answer)
    return MetricValidation(
        metric=metric, workflow_id=workflow_id, points=[HeldOutPoint(**point) for point in answer["validation"]]
    )


def _finite(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else None
