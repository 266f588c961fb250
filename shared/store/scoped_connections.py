"""PynamoDB connections: the function's own, and those signed with one tenant's scoped credentials
(shared/store/tenant_credentials.py).

One botocore client per set of credentials, shared by every table the repositories touch: the function's own for
the life of the process, a tenant session's as long as the session is cached. `signed_for` makes the models of
shared/store/tenant_scoped.py use a tenant's for the calls made inside it. (PynamoDB alone gives each model its own
client, each parsing botocore's service data again, and lets concurrent first calls each build one: under
`forge dev`'s threads a burst of requests built a hundred clients.)
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from typing import Any
from weakref import WeakKeyDictionary

from botocore.config import Config
from botocore.session import Session, get_session
from pynamodb.connection import Connection, TableConnection
from pynamodb.connection.base import MetaTable
from pynamodb.constants import (
    ATTR_DEFINITIONS,
    ATTR_NAME,
    GLOBAL_SECONDARY_INDEXES,
    INDEX_NAME,
    LOCAL_SECONDARY_INDEXES,
)

from shared.store.context import TenantContext
from shared.store.tenant_credentials import TenantCredentials


@cache
def _shared_loader() -> Any:
    """botocore's data loader (service models, endpoints), parsed once per process: a new botocore session would
    parse them again, about 170 ms of a tenant's first request in a container instead of about 20 ms."""
    return get_session().get_component("data_loader")


class _SessionConnection(Connection):
    """A PynamoDB connection whose botocore sessions share the loader and whose client is built once, signed with a
    tenant session's credentials or (None) the function's own."""

    def __init__(self, credentials: TenantCredentials | None, region: str | None, host: str | None) -> None:
        super().__init__(
            region=region,
            host=host,
            aws_access_key_id=credentials.access_key_id if credentials else None,
            aws_secret_access_key=credentials.secret_access_key if credentials else None,
            aws_session_token=credentials.session_token if credentials else None,
        )
        self._credentials = credentials
        self._client_lock = threading.Lock()

    @property
    def session(self) -> Session:
        local = self._local
        if getattr(local, "session", None) is None:
            credentials = self._credentials
            session = get_session()
            session.register_component("data_loader", _shared_loader())
            # Every call's User-Agent is this one, put together once: botocore otherwise builds it again from its
            # parts twice a call (for its per-call feature list, telemetry only), 18% of a GetItem's CPU in botocore.
            session.set_default_client_config(Config(user_agent=session.user_agent()))
            if credentials is not None:
                session.set_credentials(
                    credentials.access_key_id, credentials.secret_access_key, credentials.session_token
                )
            local.session = session
        current: Session = local.session
        return current

    @property
    def client(self) -> Any:
        if self._client is None:
            with self._client_lock:
                return super().client
        return super().client


class TenantConnections:
    """The table connections of one set of credentials: a tenant session's, or (None) the function's own."""

    def __init__(self, credentials: TenantCredentials | None) -> None:
        self.credentials = credentials
        self._connection: Connection | None = None
        self._tables: dict[str, TableConnection] = {}
        # The models' schemas (by identity) whose indexes their table's connection is known to have: a table's
        # schema only grows, so each is compared once, not on every call (1% of a worker's CPU under webhook load).
        self._covered: dict[int, MetaTable] = {}
        self._lock = threading.Lock()

    def table(self, default: TableConnection) -> TableConnection:
        """The model's table connection (`default`: the function's own), signed with the tenant's credentials.

        Several models share a table (the tenancy table's tenants, members, keys...), each knowing only its own
        indexes; the one connection of a table knows every index of the models that have used it, whichever came
        first (a worker that first read a member could not query tenants by creation)."""
        model_meta = default.get_meta_table()
        table = self._tables.get(default.table_name)
        if table is not None and self._covered.get(id(model_meta)) is model_meta:
            return table
        if table is not None and _knows_indexes(table.get_meta_table(), model_meta):
            self._covered[id(model_meta)] = model_meta
            return table
        with self._lock:
            table = self._tables.get(default.table_name)
            if table is None:
                table = self._build(default)
                self._tables[default.table_name] = table
            else:
                _add_indexes(table.get_meta_table(), model_meta)
            self._covered[id(model_meta)] = model_meta
            return table

    def connection(self, region: str | None = None, host: str | None = None) -> Connection:
        """The one connection every table of these credentials goes through (e.g. for transactions)."""
        with self._lock:
            return self._shared_connection(region, host)

    def _shared_connection(self, region: str | None, host: str | None) -> Connection:
        """Under `_lock`: the connection, made on first use."""
        if self._connection is None:
            self._connection = _SessionConnection(self.credentials, region, host)
        return self._connection

    def _build(self, default: TableConnection) -> TableConnection:
        region, host = default.connection.region, default.connection.host
        connection = self._shared_connection(region, host)
        table = TableConnection(default.table_name, region=region, host=host)
        # Every table of the session goes through one connection, so one botocore client serves them all.
        table.connection = connection
        connection.add_meta_table(default.get_meta_table())
        return table


_INDEX_KINDS = (GLOBAL_SECONDARY_INDEXES, LOCAL_SECONDARY_INDEXES)


def _index_names(meta: MetaTable, kind: str) -> set[str]:
    return {index[INDEX_NAME] for index in meta.data.get(kind) or []}


def _attribute_names(meta: MetaTable) -> set[str]:
    return {attribute[ATTR_NAME] for attribute in meta.data.get(ATTR_DEFINITIONS) or []}


def _knows_indexes(meta: MetaTable, model_meta: MetaTable) -> bool:
    return _attribute_names(model_meta) <= _attribute_names(meta) and all(
        _index_names(model_meta, kind) <= _index_names(meta, kind) for kind in _INDEX_KINDS
    )


def _add_indexes(meta: MetaTable, model_meta: MetaTable) -> None:
    """The model's indexes and their key attributes, added to what the table's connection knows."""
    for kind in _INDEX_KINDS:
        known = _index_names(meta, kind)
        added = [index for index in model_meta.data.get(kind) or [] if index[INDEX_NAME] not in known]
        meta.data[kind] = [*(meta.data.get(kind) or []), *added]
    known_attributes = _attribute_names(meta)
    meta.data[ATTR_DEFINITIONS] = [
        *(meta.data.get(ATTR_DEFINITIONS) or []),
        *(item for item in model_meta.data.get(ATTR_DEFINITIONS) or [] if item[ATTR_NAME] not in known_attributes),
    ]


_active: ContextVar[TenantConnections | None] = ContextVar("tenant_connections", default=None)
_by_credentials: WeakKeyDictionary[TenantCredentials, TenantConnections] = WeakKeyDictionary()
_by_credentials_lock = threading.Lock()


@cache
def own_connections() -> TenantConnections:
    """The function's own credentials' connections, one per process."""
    return TenantConnections(None)


def connections_for(tenant: TenantContext) -> TenantConnections | None:
    """The scoped connections of a tenant context, or None for the function's own credentials."""
    credentials: TenantCredentials | None = getattr(tenant, "credentials", None)
    if credentials is None:
        return None
    connections = _by_credentials.get(credentials)
    if connections is None:
        with _by_credentials_lock:
            connections = _by_credentials.setdefault(credentials, TenantConnections(credentials))
    return connections


def active_connections() -> TenantConnections | None:
    return _active.get()


@contextmanager
def signed_for(connections: TenantConnections | None) -> Iterator[None]:
    """DynamoDB calls of tenant-scoped models inside use these connections (None: the function's own)."""
    token = _active.set(connections)
    try:
        yield
    finally:
        _active.reset(token)
