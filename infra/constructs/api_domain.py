"""The API's custom domain in one region: `<domain>` for latency routing and `<region>.<domain>` for health checks."""

from __future__ import annotations

from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as targets
from constructs import Construct

from infra.config import DomainConfig


def regional_host(domain: DomainConfig, region: str) -> str:
    return f"{region}.{domain.name}"


class ApiDomain(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, domain: DomainConfig, region: str, api: apigateway.RestApi
    ) -> None:
        super().__init__(scope, construct_id)
        zone = route53.HostedZone.from_hosted_zone_attributes(
            self, "Zone", hosted_zone_id=domain.hosted_zone_id, zone_name=domain.hosted_zone_name
        )
        host = regional_host(domain, region)
        certificate = acm.Certificate(
            self,
            "Certificate",
            domain_name=domain.name,
            subject_alternative_names=[host],
            validation=acm.CertificateValidation.from_dns(zone),
        )
        self.shared_name = self._build_domain_name("Shared", domain.name, certificate, api)
        regional_name = self._build_domain_name("Regional", host, certificate, api)
        route53.ARecord(
            self,
            "RegionalAlias",
            zone=zone,
            record_name=host,
            target=route53.RecordTarget.from_alias(targets.ApiGatewayDomain(regional_name)),
        )

    def _build_domain_name(
        self, construct_id: str, name: str, certificate: acm.ICertificate, api: apigateway.RestApi
    ) -> apigateway.DomainName:
        domain_name = apigateway.DomainName(
            self,
            construct_id,
            domain_name=name,
            certificate=certificate,
            endpoint_type=apigateway.EndpointType.REGIONAL,
            security_policy=apigateway.SecurityPolicy.TLS_1_2,
        )
        domain_name.add_base_path_mapping(api, stage=api.deployment_stage)
        return domain_name
