"""The purge finds every tenant collection from the registry of repositories, in tables of TABLES, children first."""

from __future__ import annotations

from typing import ClassVar

from shared.operations.tenant_purge import tenant_repositories
from shared.resources import TABLES
from shared.settings import get_settings
from shared.store.context import TenantContext
from shared.store.registry import all_repositories, table_of
from shared.store.tenancy import TenantRecords
from shared.store.tenant_scoped import REPOSITORIES, TenantScopedItem, TenantScopedRepository
from shared.store.triggers import ScheduleFailures, Schedules
from shared.store.workflows import Workflows, WorkflowVersions

TENANT = TenantContext("0123456789abcdef")


def test_every_store_module_registers_its_repositories() -> None:
    collections = {repository.collection for repository in all_repositories()}
    assert collections >= {
        "", "MEMBER", "APIKEY", "RATE", "USAGE", "AUDIT", "WORKFLOW", "WFVERSION", "CREDENTIAL",
        "EXEC", "IDEMPOTENCY", "RUNNING", "APPROVAL", "HOOK", "SCHEDULE", "SCHEDFAIL", "MCPSERVER",
    }  # fmt: skip


def test_every_repository_keeps_its_items_in_a_table_of_tables() -> None:
    settings = get_settings()
    tables = {getattr(settings, spec.env_var.removeprefix("FORGE_").lower()) for spec in TABLES}
    assert {table_of(repository) for repository in tenant_repositories()} <= tables


def test_children_are_purged_before_their_parents_and_the_record_last() -> None:
    order = tenant_repositories()
    assert order.index(WorkflowVersions) < order.index(Workflows)
    assert order.index(ScheduleFailures) < order.index(Schedules)
    assert order[-1] is TenantRecords


def test_a_child_collection_has_a_partition_per_parent_item_the_same_its_repository_uses() -> None:
    assert WorkflowVersions(TENANT, "wf1").partition == WorkflowVersions.child_partition(TENANT, "wf1")
    assert WorkflowVersions.child_partition(TENANT, "wf1") == "TENANT#0123456789abcdef#WFVERSION#wf1"
    assert ScheduleFailures(TENANT, "s1").partition == "TENANT#0123456789abcdef#SCHEDFAIL#s1"


def test_a_new_repository_is_registered_by_being_defined() -> None:
    class NoteItem(TenantScopedItem):
        class Meta:
            table_name = "notes"

    class Notes(TenantScopedRepository[NoteItem]):
        model: ClassVar[type[TenantScopedItem]] = NoteItem
        collection: ClassVar[str] = "NOTE"

    try:
        assert Notes in REPOSITORIES
        # Only the data layer's own (shared.store) count for a purge: a class defined elsewhere is not its data.
        assert Notes not in tenant_repositories()
    finally:
        REPOSITORIES.remove(Notes)
