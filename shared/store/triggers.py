"""Webhook endpoints and schedules of a tenant's workflows, in the triggers table."""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)

from shared.resources import TRIGGERS_TABLE
from shared.store.tables import model_table_name
from shared.store.tenant_scoped import TenantContext, TenantScopedItem, TenantScopedRepository

_TABLE = model_table_name(TRIGGERS_TABLE)


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

    def of_workflow(self, workflow_id: str) -> list[HookItem]:
        return self.all_matching(HookItem.workflow_id == workflow_id)


class ScheduleItem(TenantScopedItem):
    """A schedule of a workflow; its EventBridge Scheduler schedule is `<group>/<schedule_id>` in `region`."""

    class Meta:
        table_name = _TABLE

    schedule_id = UnicodeAttribute()
    workflow_id = UnicodeAttribute()
    name = UnicodeAttribute()
    expression = UnicodeAttribute()
    timezone = UnicodeAttribute()
    start_date = UTCDateTimeAttribute(null=True)
    end_date = UTCDateTimeAttribute(null=True)
    # Where a rate schedule's slots count from: the StartDate Scheduler was last given (the start date, or the time
    # of that write when the start date is absent or long past).
    rate_anchor = UTCDateTimeAttribute()
    enabled = BooleanAttribute(default=True)
    input = JSONAttribute(null=True)
    region = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    created_by = UnicodeAttribute()
    revision = NumberAttribute(default=1)
    # "workflow" for the schedule a workflow's `schedule` trigger node keeps (its published version's expression);
    # absent for schedules made through the schedules API.
    managed_by = UnicodeAttribute(null=True)
    workflow_version = NumberAttribute(null=True)


class Schedules(TenantScopedRepository[ScheduleItem]):
    model = ScheduleItem
    collection = "SCHEDULE"

    def of_workflow(self, workflow_id: str) -> list[ScheduleItem]:
        return self.all_matching(ScheduleItem.workflow_id == workflow_id)


class ScheduleFailureItem(TenantScopedItem):
    """A slot of a schedule that could not start its workflow; keyed by the slot, so a retried slot is one item."""

    class Meta:
        table_name = _TABLE

    scheduled_time = UTCDateTimeAttribute()
    workflow_id = UnicodeAttribute()
    problem = UnicodeAttribute()
    detail = UnicodeAttribute()
    attempts = NumberAttribute(default=1)
    recorded_at = UTCDateTimeAttribute()
    expires_at = NumberAttribute()


class ScheduleFailures(TenantScopedRepository[ScheduleFailureItem]):
    """The failed slots of one schedule, in their own partition of the tenant, oldest first."""

    model = ScheduleFailureItem
    collection = "SCHEDFAIL"
    parent = Schedules

    def __init__(self, tenant: TenantContext, schedule_id: str) -> None:
        super().__init__(tenant)
        self.partition = self.child_partition(tenant, schedule_id)
