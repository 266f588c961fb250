"""Workflows and their published versions in the workflows table, always through a tenant-scoped repository.

Definitions and compiled ASL are stored zlib-compressed: a compiled definition may approach Step Functions' 1 MB,
and a DynamoDB item holds 400 KB.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

from pynamodb.attributes import BinaryAttribute, JSONAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from shared.resources import WORKFLOWS_TABLE
from shared.store.tables import model_table_name
from shared.store.tenant_scoped import TenantContext, TenantScopedItem, TenantScopedRepository

_TABLE = model_table_name(WORKFLOWS_TABLE)


def pack(document: Any) -> bytes:
    return zlib.compress(json.dumps(document, separators=(",", ":")).encode(), level=6)


def unpack(data: bytes) -> Any:
    return json.loads(zlib.decompress(data))


class WorkflowItem(TenantScopedItem):
    """The editable draft of a workflow and where its published versions stand."""

    class Meta:
        table_name = _TABLE

    workflow_id = UnicodeAttribute()
    name = UnicodeAttribute()
    draft = BinaryAttribute(legacy_encoding=False)
    revision = NumberAttribute(default=1)
    latest_version = NumberAttribute(default=0)
    live_version = NumberAttribute(null=True)
    state_machine_arn = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    created_by = UnicodeAttribute()
    # Epoch seconds until which a publish or rollback holds the workflow's versions (one at a time).
    version_change_until = NumberAttribute(null=True)
    # The marketplace template this workflow was installed from (`<ns>/<name>`) and its version then.
    marketplace_item = UnicodeAttribute(null=True)
    marketplace_version = UnicodeAttribute(null=True)


class WorkflowVersionItem(TenantScopedItem):
    """One published version: immutable, with the ASL it was compiled to and its Step Functions version."""

    class Meta:
        table_name = _TABLE

    workflow_id = UnicodeAttribute()
    version = NumberAttribute()
    definition = BinaryAttribute(legacy_encoding=False)
    asl = BinaryAttribute(legacy_encoding=False)
    cost = JSONAttribute()
    state_machine_version_arn = UnicodeAttribute()
    note = UnicodeAttribute(null=True)
    published_at = UTCDateTimeAttribute()
    published_by = UnicodeAttribute()
    # `<ns>/<name>` of the marketplace items its executions count for (shared/workflows/marketplace_items.py).
    marketplace_items = JSONAttribute(null=True)


class Workflows(TenantScopedRepository[WorkflowItem]):
    model = WorkflowItem
    collection = "WORKFLOW"


def version_key(version: int) -> str:
    return f"V#{version:06d}"


class WorkflowVersions(TenantScopedRepository[WorkflowVersionItem]):
    """The versions of one workflow, in their own partition of the tenant, oldest first."""

    model = WorkflowVersionItem
    collection = "WFVERSION"
    parent = Workflows

    def __init__(self, tenant: TenantContext, workflow_id: str) -> None:
        super().__init__(tenant)
        self.partition = self.child_partition(tenant, workflow_id)

    def get_version(self, version: int) -> WorkflowVersionItem | None:
        return self.get(version_key(version))
