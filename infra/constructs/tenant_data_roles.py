"""Per HTTP function with tenant data: a role it assumes per tenant, with that tenant's session policy.

The role holds the function's own table grants (from the catalog, through infra/grants.py), only on tenant
partitions (`dynamodb:LeadingKeys` like `TENANT#*`), and trusts only that function's role, with session tags. At
run time shared/store/tenant_credentials.py assumes it with shared/store/session_policy.py's policy, so a request's
credentials reach one tenant's items and no more than its function may: the effective permissions are the
intersection of the role's and the session policy's. The function is told the role by FORGE_TENANT_DATA_ROLE_ARN.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

from infra.grants import grant_policy
from infra.names import ResourceNames
from shared.catalog import CATALOG, FunctionSpec
from shared.resources import TableSpec
from shared.store.context import tenant_partition

TENANT_DATA_ROLE_ENV_VAR = "FORGE_TENANT_DATA_ROLE_ARN"
# What every partition key of tenant data starts with (shared/store/context.py).
TENANT_PARTITIONS = tenant_partition("*")


class TenantDataRoles(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, names: ResourceNames, functions: dict[str, lambda_.Function]
    ) -> None:
        super().__init__(scope, construct_id)
        self.roles: dict[str, iam.Role] = {}
        for spec in CATALOG:
            if spec.uses_tenant_sessions:
                self.roles[spec.name] = self._build(spec, functions[spec.name], names)

    def _build(self, spec: FunctionSpec, function: lambda_.Function, names: ResourceNames) -> iam.Role:
        construct_id = "".join(part.capitalize() for part in spec.name.split("_"))
        function_role = function.role
        assert function_role is not None
        statements = [
            iam.PolicyStatement(
                actions=list(policy.actions),
                resources=list(policy.resources),
                conditions={"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [TENANT_PARTITIONS]}},
            )
            for grant in spec.grants
            if isinstance(grant.resource, TableSpec)
            for policy in grant_policy(grant, names, key_arn="")
        ]
        role = iam.Role(
            self,
            construct_id,
            assumed_by=iam.SessionTagsPrincipal(iam.ArnPrincipal(function_role.role_arn)),
            description=f"{spec.name}: tenant data, one tenant per session (session policy on LeadingKeys)",
            max_session_duration=Duration.hours(1),
            inline_policies={"tenant-partitions": iam.PolicyDocument(statements=statements)},
        )
        # A separate policy on the function's role: its inline policy must not depend on this role (which trusts it).
        iam.Policy(
            self,
            f"{construct_id}Assume",
            roles=[function_role],
            statements=[iam.PolicyStatement(actions=["sts:AssumeRole", "sts:TagSession"], resources=[role.role_arn])],
        )
        function.add_environment(TENANT_DATA_ROLE_ENV_VAR, role.role_arn)
        NagSuppressions.add_resource_suppressions(
            role,
            [
                NagPackSuppression(
                    id="AwsSolutions-IAM5",
                    reason="The function's own table grants (table indexes wildcard), narrowed to tenant partitions "
                    "by the LeadingKeys condition and, per session, to one tenant by the session policy",
                )
            ],
            apply_to_children=True,
        )
        return role
