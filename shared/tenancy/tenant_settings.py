"""A tenant's settings: free-form keys for the tenant's own use, bounded in size, and the ones the platform reads.

`http_allowed_hosts` exempts hosts from the HTTP node's address check (shared/workflows/http_node.py): exact host
names or IP addresses, no wildcards. Link-local and cloud metadata hosts and addresses are refused here, and the
guard never reaches them whatever a stored setting says. `share_marketplace_performance` (off unless set) adds the
tenant's executions of installed marketplace items to those items' measured performance (docs/marketplace.md).
"""

from __future__ import annotations

import json
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from shared.ip_addresses import allowed_host_error, canonical_host

# The tenant record is one DynamoDB item (at most 400 KB); its settings get a small, fixed share of it.
MAX_SETTINGS_BYTES = 16_384
MAX_ALLOWED_HOSTS = 100


def _allowed_host(entry: str) -> str:
    reason = allowed_host_error(entry)
    if reason is not None:
        raise ValueError(reason)
    return canonical_host(entry)


AllowedHost = Annotated[str, Field(min_length=1, max_length=253), AfterValidator(_allowed_host)]


class TenantSettings(BaseModel):
    model_config = ConfigDict(extra="allow")

    http_allowed_hosts: list[AllowedHost] = Field(
        default_factory=list,
        max_length=MAX_ALLOWED_HOSTS,
        description="Hosts an http_request node may reach at private or loopback addresses: exact host names or IP "
        "addresses, no wildcards; link-local and metadata hosts and addresses are never reachable",
    )

    share_marketplace_performance: bool = Field(
        default=False,
        strict=True,
        description="Count this tenant's executions of installed marketplace items in the items' aggregate "
        "performance (shown only over at least 5 tenants; no tenant's own numbers are ever shown)",
    )

    @model_validator(mode="after")
    def _bounded(self) -> TenantSettings:
        size = len(json.dumps(self.stored(), separators=(",", ":")).encode())
        if size > MAX_SETTINGS_BYTES:
            raise ValueError(f"settings take {size} bytes as JSON; at most {MAX_SETTINGS_BYTES} are kept")
        return self

    def stored(self) -> dict[str, object]:
        """What the tenant record keeps: the keys the request set, as given (allowed hosts in canonical form)."""
        return self.model_dump(mode="json", exclude_unset=True)


def tenant_allowed_hosts(tenant_id: str) -> frozenset[str]:
    """The tenant's stored `http_allowed_hosts` in canonical form: the http_request node and model providers' guard."""
    from shared.store.context import TenantContext
    from shared.store.tenancy import TENANT_RECORD_KEY, TenantRecords

    item = TenantRecords(TenantContext(tenant_id)).get(TENANT_RECORD_KEY)
    hosts = (item.settings if item is not None else {}).get("http_allowed_hosts") or []
    if not isinstance(hosts, list):
        return frozenset()
    return frozenset(canonical_host(host) for host in hosts if isinstance(host, str))


def shares_marketplace_performance(settings: dict[str, object] | None) -> bool:
    """Whether a tenant record's stored settings opt in to the marketplace's measured performance."""
    return (settings or {}).get("share_marketplace_performance") is True
