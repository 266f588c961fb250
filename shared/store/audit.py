"""Audit events: append-only, one partition per tenant, newest first; platform admins' actions that outlive a
tenant's partitions (its purge) in one platform partition."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from shared.resources import AUDIT_TABLE
from shared.store.tables import model_table_name
from shared.store.tenant_scoped import Page, TenantScopedItem, TenantScopedRepository


class AuditEventItem(TenantScopedItem):
    class Meta:
        table_name = model_table_name(AUDIT_TABLE)

    event_id = UnicodeAttribute()
    actor = UnicodeAttribute()
    actor_method = UnicodeAttribute()
    action = UnicodeAttribute()
    target = UnicodeAttribute()
    status_code = NumberAttribute()
    occurred_at = UTCDateTimeAttribute()
    request_id = UnicodeAttribute()
    source_ip = UnicodeAttribute(null=True)


class AuditEvents(TenantScopedRepository[AuditEventItem]):
    """Only `append` and reads: there is no update or delete of an audit event (a purge of the tenant aside)."""

    model = AuditEventItem
    collection = "AUDIT"

    def append(self, item: AuditEventItem) -> None:
        self.create(item)

    def newest_first(self, *, limit: int, cursor: str | None) -> Page[AuditEventItem]:
        return self.page(limit=limit, cursor=cursor, newest_first=True)


PLATFORM_AUDIT_PARTITION = "PLATFORM#AUDIT"


class PlatformAuditEventItem(Model):
    """A platform admin's action recorded outside every tenant partition (the purge of a tenant removes its log):
    sort key `<occurred_at ISO>#<event id>`, the tenant acted on in `tenant_id`."""

    class Meta:
        table_name = model_table_name(AUDIT_TABLE)

    pk = UnicodeAttribute(hash_key=True, default=PLATFORM_AUDIT_PARTITION)
    sk = UnicodeAttribute(range_key=True)
    event_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    actor = UnicodeAttribute()
    actor_method = UnicodeAttribute()
    action = UnicodeAttribute()
    target = UnicodeAttribute()
    status_code = NumberAttribute()
    occurred_at = UTCDateTimeAttribute()
    request_id = UnicodeAttribute()
    source_ip = UnicodeAttribute(null=True)
