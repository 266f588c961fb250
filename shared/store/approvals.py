"""Approval requests of `approval` nodes, in the executions table next to the executions that wait for them."""

from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import JSONAttribute, ListAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.expressions.condition import Condition

from shared.resources import EXECUTIONS_TABLE
from shared.store.execution_ids import execution_id_floor
from shared.store.tables import model_table_name
from shared.store.tenant_scoped import Page, TenantScopedItem, TenantScopedRepository

_TABLE = model_table_name(EXECUTIONS_TABLE)


class ApprovalItem(TenantScopedItem):
    """One pending or answered approval; `sk` is the approval id, which sorts by the time it was requested."""

    class Meta:
        table_name = _TABLE

    approval_id = UnicodeAttribute()
    workflow_id = UnicodeAttribute()
    execution_id = UnicodeAttribute()
    execution_arn = UnicodeAttribute()
    node_id = UnicodeAttribute()
    message = UnicodeAttribute()
    approvers: ListAttribute[str] = ListAttribute(default=list)
    status = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    # Not `expires_at`: that name is the table's TTL attribute, and an approval is kept after it expires.
    expires_at = UTCDateTimeAttribute(attr_name="approval_expires_at")
    # The task token, encrypted (shared/crypto/secret_box.py); never leaves the data layer in the clear.
    task_token = UnicodeAttribute()
    # The node's input: inline when small, otherwise an S3 key in the payloads bucket.
    input = JSONAttribute(null=True)
    input_ref = UnicodeAttribute(null=True)
    answered_by = UnicodeAttribute(null=True)
    answered_at = UTCDateTimeAttribute(null=True)
    comment = UnicodeAttribute(null=True)


class Approvals(TenantScopedRepository[ApprovalItem]):
    model = ApprovalItem
    collection = "APPROVAL"

    def search(self, *, limit: int, cursor: str | None, filters: Condition | None = None) -> Page[ApprovalItem]:
        """Newest first; `filters` are applied by DynamoDB after the key condition."""
        return self.page(limit=limit, cursor=cursor, newest_first=True, filters=filters)

    def of_execution(self, execution_id: str, status: str, since: datetime) -> list[ApprovalItem]:
        """The approvals in `status` that an execution started at `since` requested (approval ids sort by the time
        they were requested, so the read starts there)."""
        return self.all_matching(
            (ApprovalItem.execution_id == execution_id) & (ApprovalItem.status == status),
            sort_key_condition=ApprovalItem.sk >= execution_id_floor(since),
        )
