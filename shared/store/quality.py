"""Quality control's data (docs/quality.md), in the workflows table beside the workflows, one partition per tenant:
the detector's state and the policy of each workflow, and the quality events with the actions they took."""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from shared.resources import WORKFLOWS_TABLE
from shared.store.tables import model_table_name
from shared.store.tenant_scoped import Page, TenantScopedItem, TenantScopedRepository

_TABLE = model_table_name(WORKFLOWS_TABLE)


class QualityWatchItem(TenantScopedItem):
    """One workflow's detector state (written by quality control of the executions table's stream, conditional on
    `revision`) and its policy (written by PUT /v1/quality/policies/{workflow_id}, attribute by attribute, so neither
    write undoes the other)."""

    class Meta:
        table_name = _TABLE

    workflow_id = UnicodeAttribute()
    state = JSONAttribute(null=True)
    policy = JSONAttribute(null=True)
    revision = NumberAttribute(default=0)
    # The stream position (shared/store/stream_positions.py) of the last end the state took in: one delivered again
    # is not taken in twice.
    observed_through = UnicodeAttribute(null=True)
    policy_updated_at = UTCDateTimeAttribute(null=True)
    policy_updated_by = UnicodeAttribute(null=True)


class QualityWatches(TenantScopedRepository[QualityWatchItem]):
    """The tenant's watched workflows by workflow id (the sort key)."""

    model = QualityWatchItem
    collection = "QUALITYWATCH"


class QualityEventItem(TenantScopedItem):
    """A finding of the detector and what its workflow's policy did about it. The sort key is the event id, which
    begins with the detection time (newest first is a reverse query) and ends with a hash of what was found in
    which execution, so the same finding can only be recorded, and acted on, once."""

    class Meta:
        table_name = _TABLE

    event_id = UnicodeAttribute()
    workflow_id = UnicodeAttribute()
    version = NumberAttribute()
    signal = UnicodeAttribute()
    score = NumberAttribute()
    evidence = JSONAttribute()
    # [{"action", "status": done | skipped | failed, "detail", "undo": what undoing it needs}], in the order run.
    actions = JSONAttribute()
    detected_at = UTCDateTimeAttribute()
    undone_at = UTCDateTimeAttribute(null=True)
    undone_by = UnicodeAttribute(null=True)
    undo_results = JSONAttribute(null=True)


class QualityEvents(TenantScopedRepository[QualityEventItem]):
    model = QualityEventItem
    collection = "QUALITYEVENT"

    def newest_first(self, *, limit: int, cursor: str | None) -> Page[QualityEventItem]:
        return self.page(limit=limit, cursor=cursor, newest_first=True)
