"""Route 53 latency records for the API's domain, one per region, each dropped while its /v1/health fails."""

from __future__ import annotations

from aws_cdk import aws_route53 as route53
from constructs import Construct

from infra.config import DomainConfig
from infra.constants import HEALTH_PATH
from infra.constructs.api_domain import regional_host

RECORD_TTL_SECONDS = "60"


class LatencyRouting(Construct):
    """CNAMEs to each region's `<region>.<domain>` name: deterministic, so no cross-region references."""

    def __init__(self, scope: Construct, construct_id: str, *, domain: DomainConfig, regions: tuple[str, ...]) -> None:
        super().__init__(scope, construct_id)
        self.health_checks: dict[str, route53.CfnHealthCheck] = {}
        for region in regions:
            self._build_region(domain, region)

    def _build_region(self, domain: DomainConfig, region: str) -> None:
        construct_id = "".join(part.capitalize() for part in region.split("-"))
        health_check = route53.CfnHealthCheck(
            self,
            f"{construct_id}Health",
            health_check_config=route53.CfnHealthCheck.HealthCheckConfigProperty(
                type="HTTPS",
                fully_qualified_domain_name=regional_host(domain, region),
                resource_path=HEALTH_PATH,
                port=443,
                request_interval=30,
                failure_threshold=3,
            ),
            health_check_tags=[route53.CfnHealthCheck.HealthCheckTagProperty(key="Name", value=f"api-{region}")],
        )
        route53.CfnRecordSet(
            self,
            f"{construct_id}Latency",
            hosted_zone_id=domain.hosted_zone_id,
            name=domain.name,
            type="CNAME",
            ttl=RECORD_TTL_SECONDS,
            resource_records=[regional_host(domain, region)],
            set_identifier=region,
            region=region,
            health_check_id=health_check.attr_health_check_id,
        )
        self.health_checks[region] = health_check
