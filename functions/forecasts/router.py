"""Workload forecasts: the tenant's or a workflow's next 24 to 168 hours, with intervals and quota warnings."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from shared.auth.dependencies import CurrentTenant
from shared.forecasts.published import MAX_HORIZON_HOURS, MIN_HORIZON_HOURS, TenantForecasts
from shared.forecasts.service import get_forecasts

router = APIRouter(tags=["forecasts"])


@router.get(
    "/v1/forecasts",
    response_model=TenantForecasts,
    summary="The latest workload forecasts of the tenant or a workflow, with intervals, model and quota warnings",
)
def get_tenant_forecasts(
    tenant: CurrentTenant,
    workflow_id: Annotated[str | None, Query(max_length=128, description="Only this workflow's series")] = None,
    horizon: Annotated[
        int, Query(ge=MIN_HORIZON_HOURS, le=MAX_HORIZON_HOURS, description="Hours ahead (at most what was forecast)")
    ] = MAX_HORIZON_HOURS,
) -> TenantForecasts:
    return get_forecasts(tenant, workflow_id=workflow_id, horizon_hours=horizon)
