"""Every tenant-scoped repository of the data layer: what a purge of a tenant walks through.

Importing every module of this package registers every `TenantScopedRepository` subclass, so a collection added
in a new module is purged without being listed anywhere.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import shared.store
from shared.store.tenant_scoped import REPOSITORIES, TenantScopedRepository


def all_repositories() -> tuple[type[TenantScopedRepository[Any]], ...]:
    for module in pkgutil.iter_modules(shared.store.__path__):
        importlib.import_module(f"{shared.store.__name__}.{module.name}")
    return tuple(REPOSITORIES)


def table_of(repository: type[TenantScopedRepository[Any]]) -> str:
    return str(repository.model.Meta.table_name)
