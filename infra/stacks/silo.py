"""A dedicated stack for one enterprise (silo) tenant: the regional stack's constructs, its own names."""

from __future__ import annotations

from constructs import Construct

from infra.config import ForgeConfig
from infra.stacks.regional import RegionalStack


class SiloStack(RegionalStack):
    """In the primary region: its own key, tenant-data tables (not replicated), buckets, queues, every catalog
    function, state machines, API (with the silo tiers' usage plan and the tenant's gateway key in it), firewall and
    alarms. Identity, the cursor secret and the platform-scope tables (tenant registry, members, API keys, audit log:
    `TableScope.PLATFORM`) are the platform's, reached by name in the same account and region."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: ForgeConfig, tenant_id: str, account: str | None
    ) -> None:
        super().__init__(
            scope, construct_id, config=config, region=config.primary_region, account=account, silo_tenant=tenant_id
        )
