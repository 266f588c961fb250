"""Webhook endpoints and schedules of a tenant's workflows, in the triggers table."""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)

from shared.settings import get_settings
from shared.store.tenant_scoped import TenantScopedItem, TenantScopedRepository

_TABLE = get_settings().table_triggers or "unset-table-triggers"


class HookItem(TenantScopedItem):
    """A webhook endpoint; `secrets` holds the encrypted signing secrets, several while one is being rotated out."""

    class Meta:
        table_name = _TABLE

    hook_id = UnicodeAttribute()
    workflow_id = UnicodeAttribute()
    name = UnicodeAttribute()
    scheme = UnicodeAttribute()
    response_mode = UnicodeAttribute()
    response_timeout_seconds = NumberAttribute()
    # [{"ciphertext": str, "created_at": epoch s, "expires_at": epoch s | None}], newest first.
    secrets = JSONAttribute()
    enabled = BooleanAttribute(default=True)
    created_at = UTCDateTimeAttribute()
    created_by = UnicodeAttribute()


class Hooks(TenantScopedRepository[HookItem]):
    model = HookItem
    collection = "HOOK"
