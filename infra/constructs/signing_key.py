"""The platform's asymmetric signing key (shared/resources.py's SigningKeySpec): the marketplace countersigns
approved versions with it, and installs verify the countersignature in whichever region serves them.

It is a multi-Region key from the start (ECC_NIST_P256, SIGN_VERIFY): each other region's stack replicates it with
the same key material under the same alias, and a region added later replicates it too (a key made multi-Region
later would be a new key, and every countersignature made before would stop verifying). It is retained whatever the
environment's removal policy, for the same reason. Its policy lets the account administer it and lets IAM policies
(the catalog's grants) use it only to sign (ECDSA_SHA_256) and verify: no encryption, no other principal. A silo
has none of its own: its functions use the platform's, by the alias.
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from infra.constants import signing_key_parameter_name
from infra.constructs.primary_parameter import PrimaryParameter
from shared.marketplace.signing import COUNTERSIGNATURE_ALGORITHM
from shared.resources import SigningKeySpec

_ADMINISTRATION = (
    "kms:DescribeKey",
    "kms:GetKeyPolicy",
    "kms:PutKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListAliases",
    "kms:ListResourceTags",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:CreateAlias",
    "kms:UpdateAlias",
    "kms:DeleteAlias",
    "kms:UpdateKeyDescription",
    "kms:EnableKey",
    "kms:DisableKey",
    "kms:ReplicateKey",
    "kms:UpdatePrimaryRegion",
    "kms:ScheduleKeyDeletion",
    "kms:CancelKeyDeletion",
)


class SigningKey(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, spec: SigningKeySpec, prefix: str, primary_region: str
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        alias = spec.physical_name(prefix)
        policy = signing_key_policy()
        if stack.region == primary_region:
            key = kms.Key(
                self,
                "Key",
                alias=alias,
                description=f"{prefix}: {spec.key} (countersignatures)",
                key_spec=kms.KeySpec.ECC_NIST_P256,
                key_usage=kms.KeyUsage.SIGN_VERIFY,
                multi_region=True,
                policy=policy,
                removal_policy=RemovalPolicy.RETAIN,
            )
            ssm.StringParameter(
                self,
                "KeyArnParameter",
                parameter_name=signing_key_parameter_name(prefix, spec.key),
                string_value=key.key_arn,
                description=f"The multi-Region {spec.key} key, replicated by the other regions' stacks",
            )
            return
        primary_arn = PrimaryParameter(
            self,
            "PrimaryKeyArn",
            parameter_name=signing_key_parameter_name(prefix, spec.key),
            primary_region=primary_region,
        ).value
        replica = kms.CfnReplicaKey(
            self,
            "Key",
            primary_key_arn=primary_arn,
            description=f"{prefix}: replica of the primary region's {spec.key} key",
            key_policy=policy.to_json(),
        )
        replica.apply_removal_policy(RemovalPolicy.RETAIN)
        kms.CfnAlias(self, "Alias", alias_name=alias, target_key_id=replica.attr_key_id)


def signing_key_policy() -> iam.PolicyDocument:
    account = iam.AccountRootPrincipal()
    return iam.PolicyDocument(
        statements=[
            iam.PolicyStatement(actions=list(_ADMINISTRATION), principals=[account], resources=["*"]),
            iam.PolicyStatement(
                actions=["kms:Sign"],
                principals=[account],
                resources=["*"],
                conditions={"StringEquals": {"kms:SigningAlgorithm": COUNTERSIGNATURE_ALGORITHM}},
            ),
            iam.PolicyStatement(actions=["kms:Verify", "kms:GetPublicKey"], principals=[account], resources=["*"]),
        ]
    )
