"""Where a tenant lives: its deployment model (pool, bridge or silo) and home region, for the routing layer."""

from __future__ import annotations

from dataclasses import dataclass

from shared.problems import NotFound
from shared.store.tenancy import TENANT_RECORD_KEY, TenantRecords
from shared.store.tenant_scoped import TenantContext
from shared.tenancy.tiers import Deployment, tier_limits


@dataclass(frozen=True)
class TenantPlacement:
    tenant_id: str
    deployment: Deployment
    home_region: str

    def stack_name(self, prefix: str) -> str:
        """The stack that serves the tenant: its own for a silo, the shared regional stack otherwise."""
        if self.deployment is Deployment.SILO:
            return f"{prefix}-silo-{self.tenant_id}"
        return f"{prefix}-{self.home_region}"


def tenant_placement(tenant: TenantContext) -> TenantPlacement:
    item = TenantRecords(tenant).get(TENANT_RECORD_KEY)
    if item is None:
        raise NotFound(f"No tenant with id {tenant.tenant_id!r}")
    return TenantPlacement(
        tenant_id=tenant.tenant_id, deployment=tier_limits(item.tier).deployment, home_region=item.home_region
    )
