"""A value the primary region's stack keeps in an SSM parameter, read by a stack in another region at deploy time."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import custom_resources as cr
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct


class PrimaryParameter(Construct):
    """One explicit cross-region `ssm:GetParameter`, run when this stack deploys (after the primary's stack)."""

    def __init__(self, scope: Construct, construct_id: str, *, parameter_name: str, primary_region: str) -> None:
        super().__init__(scope, construct_id)
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
            "Read",
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
                    "AWSLambdaBasicExecutionRole; its only other permission is ssm:GetParameter on the parameters",
                    applies_to=[
                        "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
                    ],
                ),
            ],
            apply_to_children=True,
        )
        self.value = reader.get_response_field("Parameter.Value")
