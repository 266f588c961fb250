"""EventBridge: Step Functions status changes of the platform's state machines, and the Scheduler group."""

from __future__ import annotations

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_scheduler as scheduler
from constructs import Construct

STATUS_CHANGE_DETAIL_TYPE = "Step Functions Execution Status Change"
ENDED_BADLY = ["FAILED", "TIMED_OUT", "ABORTED"]


class ExecutionEvents(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        state_machine_arns: list[str],
        log_retention: logs.RetentionDays,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = logs.LogGroup(
            self,
            "StatusChanges",
            log_group_name=f"/aws/events/{prefix}-execution-status",
            retention=log_retention,
            removal_policy=removal_policy,
        )
        self.rule = self._build_rule(prefix, state_machine_arns)
        self._allow_eventbridge_to_write()
        self.schedule_group = scheduler.CfnScheduleGroup(self, "ScheduleGroup", name=prefix)

    def _build_rule(self, prefix: str, state_machine_arns: list[str]) -> events.CfnRule:
        return events.CfnRule(
            self,
            "StatusChangeRule",
            name=f"{prefix}-execution-status",
            description="Runs of the platform's state machines that failed, timed out or were aborted",
            event_pattern={
                "source": ["aws.states"],
                "detail-type": [STATUS_CHANGE_DETAIL_TYPE],
                "detail": {"stateMachineArn": state_machine_arns, "status": ENDED_BADLY},
            },
            targets=[events.CfnRule.TargetProperty(id="StatusChangeLog", arn=self.log_group.log_group_arn)],
        )

    def _allow_eventbridge_to_write(self) -> None:
        policy = iam.PolicyDocument(
            statements=[
                iam.PolicyStatement(
                    principals=[iam.ServicePrincipal("events.amazonaws.com")],
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[self.log_group.log_group_arn],
                )
            ]
        )
        logs.CfnResourcePolicy(
            self,
            "EventsCanWrite",
            policy_name=f"{Stack.of(self).stack_name}-execution-status",
            policy_document=Stack.of(self).to_json_string(policy.to_json()),
        )
