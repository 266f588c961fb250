"""Who keeps the usage plan keys: the tenants function manages tenants' keys in every region's API, the authorizer
names them (shared/tenancy/gateway_keys.py); both are told the plans' prefix."""

from __future__ import annotations

import json
from collections.abc import Sequence

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

PREFIX_ENV_VAR = "FORGE_USAGE_PLAN_PREFIX"
REGIONS_ENV_VAR = "FORGE_USAGE_PLAN_REGIONS"


def key_management_statements(partition: str, regions: Sequence[str]) -> list[iam.PolicyStatement]:
    """Find, create, enable/disable and delete API keys; list plans; find, add and remove a key in a plan."""

    def arns(path: str) -> list[str]:
        return [f"arn:{partition}:apigateway:{region}::{path}" for region in regions]

    return [
        iam.PolicyStatement(
            actions=["apigateway:GET"], resources=arns("/apikeys") + arns("/usageplans") + arns("/usageplans/*/keys/*")
        ),
        iam.PolicyStatement(actions=["apigateway:POST"], resources=arns("/apikeys") + arns("/usageplans/*/keys")),
        iam.PolicyStatement(actions=["apigateway:PATCH", "apigateway:DELETE"], resources=arns("/apikeys/*")),
        iam.PolicyStatement(actions=["apigateway:DELETE"], resources=arns("/usageplans/*/keys/*")),
    ]


class TenantGatewayKeys(Construct):
    """`manager`: the tenants function, or None in a silo (whose one tenant's key is in its template)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        regions: Sequence[str],
        authorizer: lambda_.Function,
        manager: lambda_.Function | None,
    ) -> None:
        super().__init__(scope, construct_id)
        authorizer.add_environment(PREFIX_ENV_VAR, prefix)
        if manager is None:
            return
        manager.add_environment(PREFIX_ENV_VAR, prefix)
        manager.add_environment(REGIONS_ENV_VAR, json.dumps(list(regions)))
        self.policy = iam.Policy(
            self,
            "Manage",
            roles=[manager.role] if manager.role else [],
            statements=key_management_statements(Stack.of(self).partition, regions),
        )
        NagSuppressions.add_resource_suppressions(
            self.policy,
            [
                NagPackSuppression(
                    id="AwsSolutions-IAM5",
                    reason="API keys are created at run time, one per tenant, so their ids (and the plans' key "
                    "associations) are only known then; the actions are API keys and usage plan keys only",
                )
            ],
        )
