"""Credentials confined to one tenant's partitions, for the tenant data a request touches.

When `FORGE_TENANT_DATA_ROLE_ARN` is set (the CDK sets it for every function with tenant data; `forge dev` for
the emulation), `scoped_tenant` assumes that role with the tenant's session policy (shared/store/session_policy.py:
`dynamodb:LeadingKeys` on `TENANT#<id>`, no Scan) and the repositories of shared/store/tenant_scoped.py sign their
calls for that tenant with the result. Credentials are cached per tenant until shortly before they expire, so a
warm container pays one `sts:AssumeRole` per tenant per `SESSION_SECONDS - REFRESH_MARGIN_SECONDS`, and a request
of a cached tenant only a dictionary lookup. When the variable is unset (platform-level functions), tenant data is
read with the function's own credentials.

Authentication and the rate limiter run before the caller is known to belong to the tenant, so they always use
the function's own credentials: an unauthenticated caller cannot make the platform assume roles.
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from shared.resources import TABLES
from shared.store.context import TenantContext
from shared.store.session_policy import tenant_session_policy
from shared.store.tables import table_name

SESSION_SECONDS = 3600
# Credentials are replaced this long before they expire, so none expires during a request that started with it.
REFRESH_MARGIN_SECONDS = 300
# Tenants whose credentials a container keeps; the oldest are dropped beyond this (and expired ones on the way).
MAX_CACHED_TENANTS = 256
SESSION_TAG = "tenant_id"


@dataclass(frozen=True, eq=False)
class TenantCredentials:
    """One tenant's assumed-role session; never logged (repr hides the secrets)."""

    tenant_id: str
    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str = field(repr=False)
    expires_at: float

    def fresh(self, now: float) -> bool:
        return now < self.expires_at - REFRESH_MARGIN_SECONDS


@dataclass(frozen=True)
class ScopedTenantContext(TenantContext):
    """A tenant context whose repositories use credentials that can only reach this tenant's partitions."""

    credentials: TenantCredentials = field(kw_only=True, compare=False, repr=False)


_cache: dict[str, TenantCredentials] = {}
_lock = threading.Lock()


def scoped_tenant(tenant: TenantContext) -> TenantContext:
    """The tenant context a request's handlers get: scoped credentials when a tenant-data role is configured."""
    from shared.settings import get_settings

    role_arn = get_settings().tenant_data_role_arn
    if not role_arn:
        return tenant
    return ScopedTenantContext(tenant.tenant_id, credentials=tenant_credentials(tenant, role_arn))


def tenant_credentials(tenant: TenantContext, role_arn: str) -> TenantCredentials:
    now = time.time()
    cached = _cache.get(tenant.tenant_id)
    if cached is not None and cached.fresh(now):
        return cached
    with _lock:
        cached = _cache.get(tenant.tenant_id)
        if cached is not None and cached.fresh(now):
            return cached
        credentials = _assume(tenant, role_arn)
        _remember(credentials, now)
        return credentials


def forget_tenant_credentials() -> None:
    """Drops every cached session (tests, and a container that changes its role)."""
    with _lock:
        _cache.clear()


def _remember(credentials: TenantCredentials, now: float) -> None:
    _cache.pop(credentials.tenant_id, None)
    for tenant_id in [tenant_id for tenant_id, cached in _cache.items() if not cached.fresh(now)]:
        del _cache[tenant_id]
    while len(_cache) >= MAX_CACHED_TENANTS:
        del _cache[next(iter(_cache))]
    _cache[credentials.tenant_id] = credentials


def _assume(tenant: TenantContext, role_arn: str) -> TenantCredentials:
    from shared.aws.clients import sts_client

    policy = tenant_session_policy(tenant, tenant_table_arns(role_arn))
    response: dict[str, Any] = sts_client().assume_role(
        RoleArn=role_arn,
        RoleSessionName=f"tenant-{tenant.tenant_id}",
        Policy=json.dumps(policy, separators=(",", ":")),
        DurationSeconds=SESSION_SECONDS,
        Tags=[{"Key": SESSION_TAG, "Value": tenant.tenant_id}],
    )
    issued = response["Credentials"]
    return TenantCredentials(
        tenant_id=tenant.tenant_id,
        access_key_id=issued["AccessKeyId"],
        secret_access_key=issued["SecretAccessKey"],
        session_token=issued["SessionToken"],
        expires_at=issued["Expiration"].timestamp(),
    )


def tenant_table_arns(role_arn: str) -> list[str]:
    """Every table this function was told about, in the role's account and partition and the function's region."""
    partition, account = _arn_partition_and_account(role_arn)
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or ""
    names = [table_name(spec) for spec in TABLES]
    return [f"arn:{partition}:dynamodb:{region}:{account}:table/{name}" for name in names if name]


def _arn_partition_and_account(arn: str) -> tuple[str, str]:
    parts = arn.split(":")
    if len(parts) < 6 or parts[0] != "arn" or parts[2] != "iam" or not parts[4]:
        raise RuntimeError(f"FORGE_TENANT_DATA_ROLE_ARN is not an IAM role ARN: {arn!r}")
    return parts[1], parts[4]
