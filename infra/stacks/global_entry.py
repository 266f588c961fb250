"""The global stack: one hostname for the API, answered by the nearest healthy region."""

from __future__ import annotations

from aws_cdk import Environment, Stack
from constructs import Construct

from infra.config import DomainConfig, ForgeConfig
from infra.constructs.latency_routing import LatencyRouting


class GlobalEntryStack(Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, config: ForgeConfig, domain: DomainConfig, account: str | None
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            env=Environment(account=account, region=config.primary_region),
            description=f"Nexus Forge {config.environment}: latency routing for {domain.name}",
        )
        self.routing = LatencyRouting(self, "LatencyRouting", domain=domain, regions=config.regions)
