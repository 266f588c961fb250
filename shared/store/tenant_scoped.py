"""Tenant-scoped data access: every read and write goes through a repository bound to one tenant's partitions."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from pynamodb.attributes import UnicodeAttribute
from pynamodb.connection import TableConnection
from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.models import Model

# Re-exported: TenantContext and the page sizes live in the light `shared.store.context`; many modules name them here.
from shared.store.context import DEFAULT_PAGE_SIZE as DEFAULT_PAGE_SIZE
from shared.store.context import MAX_PAGE_SIZE as MAX_PAGE_SIZE
from shared.store.context import TenantContext as TenantContext
from shared.store.context import tenant_partition as tenant_partition
from shared.store.cursors import decode_cursor, encode_cursor
from shared.store.scoped_connections import (
    TenantConnections,
    active_connections,
    connections_for,
    own_connections,
    signed_for,
)


class TenantScopedItem(Model):
    """Base of every tenant item: `pk` is always a partition of its tenant, set by the repository."""

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)

    # The tenant session an item was read or made with (its repository's); its own writes are signed with it.
    _tenant_connections: TenantConnections | None = None

    @classmethod
    def _get_connection(cls) -> TableConnection:
        """The function's own connection, or the tenant session's inside `signed_for` (the credentials hook)."""
        scoped = active_connections()
        return (own_connections() if scoped is None else scoped).table(super()._get_connection())

    def save(self, condition: Condition | None = None, *, add_version_condition: bool = True) -> dict[str, Any]:
        with signed_for(self._tenant_connections):
            return super().save(condition, add_version_condition=add_version_condition)

    def update(
        self, actions: list[Action], condition: Condition | None = None, *, add_version_condition: bool = True
    ) -> Any:
        with signed_for(self._tenant_connections):
            return super().update(actions, condition, add_version_condition=add_version_condition)

    def delete(self, condition: Condition | None = None, *, add_version_condition: bool = True) -> Any:
        with signed_for(self._tenant_connections):
            return super().delete(condition, add_version_condition=add_version_condition)

    def refresh(self, consistent_read: bool = False) -> None:
        with signed_for(self._tenant_connections):
            super().refresh(consistent_read)


ItemT = TypeVar("ItemT", bound=TenantScopedItem)

# Every repository class defined so far (shared.store.registry imports every store module, so all of them).
REPOSITORIES: list[type[TenantScopedRepository[Any]]] = []


@dataclass(frozen=True)
class Page(Generic[ItemT]):
    items: list[ItemT]
    next_cursor: str | None


class CrossTenantAccess(RuntimeError):
    """A programming error: an item of one tenant was handed to another tenant's repository."""


class TenantScopedRepository(Generic[ItemT]):
    """One collection of one tenant. Subclasses name the model and the collection; keys are never built elsewhere.

    A collection with `parent` set has one partition per item of the parent collection (`<collection>#<its sort
    key>`, see `child_partition`), e.g. the versions of each workflow. Every subclass is listed in `REPOSITORIES`:
    the purge of a tenant (shared/operations/tenant_purge.py) enumerates the tenant's partitions from it."""

    model: ClassVar[type[TenantScopedItem]]
    collection: ClassVar[str]
    parent: ClassVar[type[TenantScopedRepository[Any]] | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        REPOSITORIES.append(cls)

    @classmethod
    def child_partition(cls, tenant: TenantContext, parent_key: str) -> str:
        """The partition of this (child) collection that belongs to the parent collection's item `parent_key`."""
        return tenant_partition(tenant.tenant_id, f"{cls.collection}#{parent_key}")

    def __init__(self, tenant: TenantContext) -> None:
        self.tenant = tenant
        self.partition = tenant_partition(tenant.tenant_id, self.collection)
        # Scoped credentials when the tenant context carries them (a request's tenant), else the function's own.
        self.connections = connections_for(tenant)

    def new(self, sort_key: str, **attributes: Any) -> ItemT:
        item: ItemT = self.model(self.partition, sort_key, **attributes)  # type: ignore[assignment]
        item._tenant_connections = self.connections
        return item

    def get(self, sort_key: str, *, consistent: bool = False) -> ItemT | None:
        try:
            with signed_for(self.connections):
                item: ItemT = self.model.get(self.partition, sort_key, consistent_read=consistent)  # type: ignore[assignment]
        except DoesNotExist:
            return None
        item._tenant_connections = self.connections
        return item

    def create(self, item: ItemT) -> None:
        """Puts a new item; an item with the same key is a conflict (PutError from PynamoDB)."""
        self._check(item)
        item.save(condition=type(item).pk.does_not_exist())

    def save(self, item: ItemT, condition: Condition | None = None) -> None:
        self._check(item)
        item.save(condition=condition)

    def delete(self, item: ItemT) -> None:
        self._check(item)
        item.delete()

    def page(
        self,
        *,
        limit: int = DEFAULT_PAGE_SIZE,
        cursor: str | None = None,
        newest_first: bool = False,
        sort_key_condition: Condition | None = None,
        filters: Condition | None = None,
    ) -> Page[ItemT]:
        """One page of this partition; `filters` are applied by DynamoDB after the key condition."""
        last_key = decode_cursor(self.partition, cursor, {"pk": self.partition, "sk": None}) if cursor else None
        with signed_for(self.connections):
            results = self.model.query(
                self.partition,
                range_key_condition=sort_key_condition,
                filter_condition=filters,
                limit=max(1, min(limit, MAX_PAGE_SIZE)),
                last_evaluated_key=last_key,
                scan_index_forward=not newest_first,
            )
            items: list[ItemT] = list(results)  # type: ignore[arg-type]
        for item in items:
            item._tenant_connections = self.connections
        next_key = results.last_evaluated_key
        return Page(items, encode_cursor(self.partition, next_key) if next_key else None)

    def all_matching(self, filters: Condition, sort_key_condition: Condition | None = None) -> list[ItemT]:
        """Every item of this partition (within `sort_key_condition`) that passes `filters` (applied by DynamoDB),
        all pages read."""
        with signed_for(self.connections):
            results = self.model.query(self.partition, range_key_condition=sort_key_condition, filter_condition=filters)
            items: list[ItemT] = list(results)  # type: ignore[arg-type]
        for item in items:
            item._tenant_connections = self.connections
        return items

    def all_keys(self) -> list[tuple[str, str]]:
        with signed_for(self.connections):
            return [(item.pk, item.sk) for item in self.model.query(self.partition)]

    def _check(self, item: ItemT) -> None:
        if item.pk != self.partition:
            raise CrossTenantAccess(f"{type(self).__name__} of tenant {self.tenant.tenant_id} got an item of {item.pk}")
        item._tenant_connections = self.connections


# BatchGetItem hands back what it could not read in time as unprocessed keys: asked again after a growing pause.
_UNPROCESSED_RETRIES = 5
_UNPROCESSED_PAUSE_SECONDS = 0.05


def get_together(*wanted: tuple[TenantScopedRepository[Any], str]) -> list[Any]:
    """Items of one tenant's collections (repository, sort key) read in one round trip (BatchGetItem, eventually
    consistent, as `get`), in the order asked; None for an absent one."""
    connections = wanted[0][0].connections
    if any(repository.connections is not connections for repository, _ in wanted):
        raise CrossTenantAccess("get_together reads the collections of one tenant session")
    with signed_for(connections):
        connection = wanted[0][0].model._get_connection().connection
    tables = {repository: repository.model.Meta.table_name for repository, _ in wanted}
    keys: dict[str, Any] = {}
    for repository, sort_key in wanted:
        keys.setdefault(tables[repository], {"Keys": []})["Keys"].append(
            {"pk": {"S": repository.partition}, "sk": {"S": sort_key}}
        )
    found: dict[tuple[str, str, str], dict[str, Any]] = {}
    for attempt in range(_UNPROCESSED_RETRIES + 1):
        if attempt:
            time.sleep(_UNPROCESSED_PAUSE_SECONDS * 2 ** (attempt - 1))
        answer = connection.dispatch("BatchGetItem", {"RequestItems": keys})
        for table, items in (answer.get("Responses") or {}).items():
            found |= {(table, item["pk"]["S"], item["sk"]["S"]): item for item in items}
        keys = answer.get("UnprocessedKeys") or {}
        if not keys:
            break
    else:
        raise RuntimeError(f"DynamoDB left keys unread after {_UNPROCESSED_RETRIES} retries: {sorted(keys)}")
    read: list[Any] = []
    for repository, sort_key in wanted:
        raw = found.get((tables[repository], repository.partition, sort_key))
        item = repository.model.from_raw_data(raw) if raw is not None else None
        if item is not None:
            item._tenant_connections = repository.connections
        read.append(item)
    return read
