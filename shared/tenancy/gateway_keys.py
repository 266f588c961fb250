"""Each tenant's API Gateway API key, in its tier's usage plan: what makes the gateway enforce the tier's plan.

Callers never see or send these keys. The API's `apiKeySource` is AUTHORIZER: its Lambda authorizer
(functions/authorizer) authenticates the caller and answers with `usage_identifier_key(...)`, the value of the
caller's tenant key, so API Gateway meters and throttles the request against that tenant's plan before the
application runs. The values are therefore derived from the tenant id (nothing to look up per request) and are
not secrets: a client-sent `X-API-Key` is never read as a gateway key.

The tenants feature keeps the keys in step with the tenants, in every region of the platform's API: created with
the tenant (in its tier's plan), moved on a tier change, disabled while the tenant is suspended or deleted,
deleted by the purge. `FORGE_USAGE_PLAN_PREFIX` unset: the deployment has no usage plans and nothing is done.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import suppress
from functools import cache
from typing import Any

from shared.settings import get_settings
from shared.tenancy.tiers import Tier

# The keys of callers who are not a tenant's: a platform admin, and a caller whose credentials did not
# authenticate (the application answers its 401; the gateway throttles how often it can try).
PLATFORM_ADMINS_KEY_SUFFIX = "platform-admins"
ANONYMOUS_KEY_SUFFIX = "anonymous-callers"
ANONYMOUS_PLAN_SUFFIX = "anonymous"
PLATFORM_ADMINS_PLAN_SUFFIX = "platform-admins"


def usage_plan_name(prefix: str, plan: Tier | str) -> str:
    """`<prefix>-<tier>` for a tier's plan; also `<prefix>-platform-admins` and `<prefix>-anonymous`."""
    return f"{prefix}-{plan.value if isinstance(plan, Tier) else plan}"


def tenant_key_name(prefix: str, tenant_id: str) -> str:
    return f"{prefix}-tenant-{tenant_id}"


def tenant_key_value(prefix: str, tenant_id: str) -> str:
    """The key's value, which the authorizer returns as `usageIdentifierKey` (API Gateway: 20 to 128 characters)."""
    return f"{prefix}-tenant-{tenant_id}"


def shared_key_value(prefix: str, suffix: str) -> str:
    return f"{prefix}-{suffix}"


def _configuration() -> tuple[str, tuple[str | None, ...]] | None:
    settings = get_settings()
    if not settings.usage_plan_prefix:
        return None
    regions: tuple[str | None, ...] = tuple(settings.usage_plan_regions) or (None,)
    return settings.usage_plan_prefix, regions


def _regional_clients() -> Iterator[tuple[Any, str, str | None]]:
    """(API Gateway client, usage plan prefix, region) for each region whose plans meter tenants; none locally
    without usage plans configured."""
    configuration = _configuration()
    if configuration is None:
        return
    prefix, regions = configuration
    for region in regions:
        yield _client(region), prefix, region


def _client(region: str | None) -> Any:
    from shared.aws.clients import apigateway_client

    return apigateway_client(region)


@cache
def _plan_ids(prefix: str, region: str | None) -> dict[str, str]:
    """Usage plan name → id in one region (plans are created by the CDK app, or by `forge dev`, and stay put)."""
    plans: dict[str, str] = {}
    for page in _client(region).get_paginator("get_usage_plans").paginate():
        plans |= {plan["name"]: plan["id"] for plan in page.get("items", []) if plan["name"].startswith(prefix)}
    return plans


def forget_usage_plans() -> None:
    """Drops the cached plan ids: the plans were created again (a new emulation, a replaced stack)."""
    _plan_ids.cache_clear()


def _plan_id(prefix: str, region: str | None, tier: Tier) -> str:
    name = usage_plan_name(prefix, tier)
    plans = _plan_ids(prefix, region)
    if name not in plans:
        _plan_ids.cache_clear()
        plans = _plan_ids(prefix, region)
    if name not in plans:
        raise RuntimeError(f"no usage plan {name!r} in {region or 'this region'}: deploy the stack's usage plans")
    return plans[name]


def _find_key(client: Any, prefix: str, tenant_id: str) -> dict[str, Any] | None:
    name = tenant_key_name(prefix, tenant_id)
    found = client.get_api_keys(nameQuery=name, includeValues=False).get("items", [])
    return next((key for key in found if key["name"] == name), None)


def provision_tenant_key(tenant_id: str, tier: Tier) -> None:
    """Creates the tenant's key in every region (or finds it, when retried) and puts it in its tier's plan."""
    for client, prefix, region in _regional_clients():
        _join_plan(client, prefix, region, _ensure_key(client, prefix, tenant_id), tier)


def move_tenant_key(tenant_id: str, old_tier: Tier, new_tier: Tier) -> None:
    """A tier change: the key leaves the old tier's plan and joins the new one's (a key is in one plan per stage)."""
    for client, prefix, region in _regional_clients():
        key_id = _ensure_key(client, prefix, tenant_id)
        old_plan = _plan_id(prefix, region, old_tier)
        # Only a key that is in the old plan leaves it (NotFoundException: it is not, e.g. it was just created).
        with suppress(client.exceptions.NotFoundException):
            client.get_usage_plan_key(usagePlanId=old_plan, keyId=key_id)
            client.delete_usage_plan_key(usagePlanId=old_plan, keyId=key_id)
        _join_plan(client, prefix, region, key_id, new_tier)


def _ensure_key(client: Any, prefix: str, tenant_id: str) -> str:
    key = _find_key(client, prefix, tenant_id) or client.create_api_key(
        name=tenant_key_name(prefix, tenant_id),
        value=tenant_key_value(prefix, tenant_id),
        enabled=True,
        description=f"Nexus Forge tenant {tenant_id}: meters its requests against its tier's usage plan",
    )
    key_id: str = key["id"]
    return key_id


def enable_tenant_key(tenant_id: str, enabled: bool) -> None:
    """A suspended or deleted tenant's key is disabled: the gateway refuses its requests before any function runs."""
    for client, prefix, _region in _regional_clients():
        key = _find_key(client, prefix, tenant_id)
        if key is not None:
            client.update_api_key(
                apiKey=key["id"], patchOperations=[{"op": "replace", "path": "/enabled", "value": str(enabled).lower()}]
            )


def delete_tenant_key(tenant_id: str) -> None:
    """The purge: the key goes, and with it its usage plan associations."""
    for client, prefix, _region in _regional_clients():
        key = _find_key(client, prefix, tenant_id)
        if key is not None:
            client.delete_api_key(apiKey=key["id"])


def _join_plan(client: Any, prefix: str, region: str | None, key_id: str, tier: Tier) -> None:
    # A ConflictException: the key is in the plan already (a retried create or move).
    with suppress(client.exceptions.ConflictException):
        try:
            client.create_usage_plan_key(usagePlanId=_plan_id(prefix, region, tier), keyId=key_id, keyType="API_KEY")
        except client.exceptions.NotFoundException:
            forget_usage_plans()  # the plan was replaced since its id was cached
            client.create_usage_plan_key(usagePlanId=_plan_id(prefix, region, tier), keyId=key_id, keyType="API_KEY")


def usage_identifier_key(prefix: str, tenant_id: str | None, *, authenticated: bool) -> str:
    """The key value the authorizer hands API Gateway for a caller: its tenant's, the platform admins', or the
    anonymous callers' (credentials that did not authenticate: the application answers them 401)."""
    if not authenticated:
        return shared_key_value(prefix, ANONYMOUS_KEY_SUFFIX)
    if tenant_id is None:
        return shared_key_value(prefix, PLATFORM_ADMINS_KEY_SUFFIX)
    return tenant_key_value(prefix, tenant_id)
