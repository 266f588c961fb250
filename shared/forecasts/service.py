"""GET /v1/forecasts (docs/forecasts.md): the caller's tenant's latest forecasts, the tenant's or one workflow's, with
the quota warnings they predict."""

from __future__ import annotations

from datetime import UTC, datetime

from shared.forecasts.published import TenantForecasts, latest_forecast, tenant_forecasts
from shared.forecasts.quota import predicted_quota_warnings
from shared.problems import NotFound
from shared.settings import get_settings
from shared.store.tenancy import TENANT_RECORD_KEY, TenantRecords, Usage
from shared.store.tenant_scoped import TenantContext
from shared.tenancy.quotas import month_key
from shared.tenancy.tiers import tier_limits


def get_forecasts(tenant: TenantContext, *, workflow_id: str | None, horizon_hours: int) -> TenantForecasts:
    published = latest_forecast(get_settings().require("bucket_payloads"), tenant.tenant_id)
    warnings = []
    if published is not None and workflow_id is None:
        record = TenantRecords(tenant).get(TENANT_RECORD_KEY)
        if record is None:
            raise NotFound(f"No tenant with id {tenant.tenant_id!r}")
        now = datetime.now(UTC)
        month = Usage(tenant).get(month_key(now))
        so_far = int(month.executions or 0) if month is not None else 0
        warnings = predicted_quota_warnings(published, tier_limits(record.tier), so_far, now)
    return tenant_forecasts(
        published, tenant.tenant_id, workflow_id=workflow_id, horizon_hours=horizon_hours, quota_warnings=warnings
    )
