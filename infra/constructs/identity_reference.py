"""Another stack's view of the platform's user pool: its ids read from the primary region's SSM parameters."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from infra.constants import user_pool_parameter_names
from infra.constructs.primary_parameter import PrimaryParameter
from infra.constructs.user_pool import auth_environment


class UserPoolReference(Construct):
    """In the primary region (silo stacks) a deploy-time SSM parameter; elsewhere one explicit cross-region read.

    Every region trusts the one issuer, so a token works in whichever region latency routing picks. The read runs
    when the stack is deployed, after the primary stack (stack dependencies); the pool is retained in prod, so its
    id does not change under a deployed region.
    """

    def __init__(self, scope: Construct, construct_id: str, *, prefix: str, primary_region: str) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        pool_parameter, client_parameter = user_pool_parameter_names(prefix)
        if stack.region == primary_region:
            user_pool_id = ssm.StringParameter.value_for_string_parameter(self, pool_parameter)
            client_id = ssm.StringParameter.value_for_string_parameter(self, client_parameter)
        else:
            user_pool_id = PrimaryParameter(
                self, "UserPoolId", parameter_name=pool_parameter, primary_region=primary_region
            ).value
            client_id = PrimaryParameter(
                self, "ClientId", parameter_name=client_parameter, primary_region=primary_region
            ).value
        self.environment = auth_environment(primary_region, user_pool_id, client_id, prefix)
