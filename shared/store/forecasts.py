"""Forecast quota warnings (docs/forecasts.md), in the workflows table, one partition per tenant: one item per quota
and period, so a warning is recorded, audited and notified once however often the forecast predicts it."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from shared.resources import WORKFLOWS_TABLE
from shared.store.tables import model_table_name
from shared.store.tenant_scoped import TenantScopedItem, TenantScopedRepository


class QuotaWarningItem(TenantScopedItem):
    """Sort key `<period>#<quota>`: the month (YYYY-MM) or day (YYYY-MM-DD) the quota is predicted to be hit in."""

    class Meta:
        table_name = model_table_name(WORKFLOWS_TABLE)

    quota = UnicodeAttribute()
    period = UnicodeAttribute()
    limit = NumberAttribute()
    predicted = NumberAttribute()
    reached_at = UTCDateTimeAttribute()
    job_id = UnicodeAttribute()
    recorded_at = UTCDateTimeAttribute()


class QuotaWarnings(TenantScopedRepository[QuotaWarningItem]):
    model = QuotaWarningItem
    collection = "QUOTAWARNING"
