"""The customer-managed KMS key: buckets, queues, the alarm topic, and the secrets the app seals (webhook secrets,
tenant credentials, approval task tokens).

The tables are global, so a secret sealed in one region must open in every other: the platform's key is a
multi-Region key, created in the primary region and replicated (same key material and id) in each other region.
A silo's key stays in its one region, as its tables do.
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from infra.constants import platform_key_parameter_name
from infra.constructs.primary_parameter import PrimaryParameter

# CloudWatch alarms publish to the encrypted alarm topic; so does AWS Budgets (the SageMaker spend budget, built in
# the primary region only).
_ALARM_PUBLISHER = iam.ServicePrincipal("cloudwatch.amazonaws.com")
_BUDGET_PUBLISHER = iam.ServicePrincipal("budgets.amazonaws.com")


class PlatformKey(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        removal_policy: RemovalPolicy,
        primary_region: str,
        multi_region: bool,
    ) -> None:
        super().__init__(scope, construct_id)
        alias = f"alias/{prefix}"
        if not multi_region or Stack.of(self).region == primary_region:
            key = kms.Key(
                self,
                "Key",
                alias=alias,
                description=f"{prefix}: buckets, queues, the alarm topic and sealed secrets",
                enable_key_rotation=True,
                removal_policy=removal_policy,
            )
            key.grant_encrypt_decrypt(_ALARM_PUBLISHER)
            key.grant_encrypt_decrypt(_BUDGET_PUBLISHER)
            if multi_region:
                # No L2 property for it; a multi-Region primary key is a CfnKey property.
                key.node.default_child.multi_region = True  # type: ignore[union-attr]
                ssm.StringParameter(
                    self,
                    "KeyArnParameter",
                    parameter_name=platform_key_parameter_name(prefix),
                    string_value=key.key_arn,
                    description="The multi-Region platform key, replicated by the other regions' stacks",
                )
            self.key: kms.IKey = key
            return
        primary_arn = PrimaryParameter(
            self, "PrimaryKeyArn", parameter_name=platform_key_parameter_name(prefix), primary_region=primary_region
        ).value
        replica = kms.CfnReplicaKey(
            self,
            "Key",
            primary_key_arn=primary_arn,
            description=f"{prefix}: replica of the primary region's platform key",
            key_policy=_replica_policy(Stack.of(self)).to_json(),
        )
        replica.apply_removal_policy(removal_policy)
        kms.CfnAlias(self, "Alias", alias_name=alias, target_key_id=replica.attr_key_id)
        self.key = kms.Key.from_key_arn(self, "Replica", replica.attr_arn)


def _replica_policy(stack: Stack) -> iam.PolicyDocument:
    """What kms.Key gives its primary: the account's IAM policies decide, and the alarm topic's publisher."""
    return iam.PolicyDocument(
        statements=[
            iam.PolicyStatement(actions=["kms:*"], principals=[iam.AccountRootPrincipal()], resources=["*"]),
            iam.PolicyStatement(
                actions=["kms:Decrypt", "kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"],
                principals=[_ALARM_PUBLISHER],
                resources=["*"],
            ),
        ]
    )
