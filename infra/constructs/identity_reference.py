"""Another stack's view of the platform's user pool: its ids read from the primary region's SSM parameters."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_ssm as ssm
from aws_cdk import custom_resources as cr
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

from infra.constants import user_pool_parameter_names
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
            user_pool_id = self._read_in_primary("UserPoolId", pool_parameter, primary_region)
            client_id = self._read_in_primary("ClientId", client_parameter, primary_region)
        self.environment = auth_environment(primary_region, user_pool_id, client_id)

    def _read_in_primary(self, construct_id: str, parameter_name: str, primary_region: str) -> str:
        stack = Stack.of(self)
        parameter_arn = stack.format_arn(
            service="ssm", region=primary_region, resource="parameter", resource_name=parameter_name.lstrip("/")
        )
        call = cr.AwsSdkCall(
            service="SSM",
            action="getParameter",
            parameters={"Name": parameter_name},
            region=primary_region,
            physical_resource_id=cr.PhysicalResourceId.of(f"{parameter_name}@{primary_region}"),
        )
        reader = cr.AwsCustomResource(
            self,
            construct_id,
            on_create=call,
            on_update=call,
            policy=cr.AwsCustomResourcePolicy.from_sdk_calls(resources=[parameter_arn]),
            install_latest_aws_sdk=False,
        )
        # The provider is a stack-wide singleton function beside (not under) this construct.
        provider_id = "AWS" + cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace("-", "")
        NagSuppressions.add_resource_suppressions(
            stack.node.find_child(provider_id),
            [
                NagPackSuppression(
                    id="AwsSolutions-IAM4",
                    reason="CDK's AwsCustomResource provider writes its own logs through the AWS managed "
                    "AWSLambdaBasicExecutionRole; its only other permission is ssm:GetParameter on the two parameters",
                    applies_to=[
                        "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
                    ],
                ),
            ],
            apply_to_children=True,
        )
        return reader.get_response_field("Parameter.Value")
