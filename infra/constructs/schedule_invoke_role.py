"""The role EventBridge Scheduler invokes every tenant schedule's target with (IAM is global: the stack that owns
the tables owns it, as it owns the workflow execution role)."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

from shared.catalog import function_physical_name
from shared.resources import ScheduleGroupsSpec


class ScheduleInvokeRole(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, prefix: str, groups: ScheduleGroupsSpec) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        target = function_physical_name(prefix, groups.target_function)
        # Each region's schedules invoke that region's function.
        function_arn = f"arn:{stack.partition}:lambda:*:{stack.account}:function:{target}"
        self.role = iam.Role(
            self,
            "Role",
            role_name=groups.invoke_role_name(prefix),
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": stack.account}}
            ),
            description="EventBridge Scheduler: invokes the schedule_fire function for tenants' schedules",
            inline_policies={
                "invoke-schedule-target": iam.PolicyDocument(
                    statements=[
                        iam.PolicyStatement(
                            actions=["lambda:InvokeFunction"], resources=[function_arn, f"{function_arn}:*"]
                        )
                    ]
                )
            },
        )
        NagSuppressions.add_resource_suppressions(
            self.role,
            [
                NagPackSuppression(
                    id="AwsSolutions-IAM5",
                    reason="One function name in every configured region (the role is global, the function "
                    "regional), with its versions and aliases",
                )
            ],
            apply_to_children=True,
        )
