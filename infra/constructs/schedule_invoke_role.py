"""The role EventBridge Scheduler invokes every tenant schedule's target with (IAM is global: the stack that owns
the tables owns it, as it owns the workflow execution role)."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

from shared.catalog import dead_letter_queue_name, function_physical_name
from shared.resources import ScheduleGroupsSpec


class ScheduleInvokeRole(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, prefix: str, groups: ScheduleGroupsSpec) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        target = function_physical_name(prefix, groups.target_function)
        # Each region's schedules invoke that region's function, and dead-letter to that region's queue.
        function_arn = f"arn:{stack.partition}:lambda:*:{stack.account}:function:{target}"
        dead_letters = f"arn:{stack.partition}:sqs:*:{stack.account}:{dead_letter_queue_name(target)}"
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
                        ),
                        iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[dead_letters]),
                        # The dead-letter queue is encrypted with the region's platform key.
                        iam.PolicyStatement(
                            actions=["kms:GenerateDataKey", "kms:Decrypt"],
                            resources=[f"arn:{stack.partition}:kms:*:{stack.account}:key/*"],
                            conditions={"StringLike": {"kms:ViaService": "sqs.*.amazonaws.com"}},
                        ),
                    ]
                )
            },
        )
        NagSuppressions.add_resource_suppressions(
            self.role,
            [
                NagPackSuppression(
                    id="AwsSolutions-IAM5",
                    reason="One function and its dead-letter queue in every configured region (the role is "
                    "global, they are regional), the function's versions and aliases, and the regions' platform keys "
                    "only through SQS",
                )
            ],
            apply_to_children=True,
        )
