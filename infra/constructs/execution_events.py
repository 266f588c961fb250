"""EventBridge: Step Functions status changes of the platform's state machines.

The status changes of a workflow state machine (`<prefix>-wf-*`, any version or alias) that the execution record still
needs go to the execution_events function, which updates the record: the ends (SUCCEEDED, FAILED, TIMED_OUT, ABORTED),
PENDING_REDRIVE and a redrive's RUNNING. A first run's RUNNING is left out: its starter recorded it
(shared/executions/status_rule.py holds the pattern, which the local watcher evaluates too).
Failures of the platform's own state machines are also kept in a log group. Express workflows send no status-change
events at all: their machines log to CloudWatch Logs instead (express_execution_logs.py, docs/executions.md).
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from shared.executions.status_rule import STATUS_CHANGE_DETAIL_TYPE, STATUS_CHANGE_SOURCE, workflow_status_pattern

ENDED_BADLY = ["FAILED", "TIMED_OUT", "ABORTED"]
# EventBridge retries a failed delivery with backoff for up to a day; the function's own retries and dead-letter
# queue cover failures inside it.
DELIVERY_RETRIES = 185
DELIVERY_MAX_AGE = Duration.hours(24)


def workflow_status_rule_name(prefix: str) -> str:
    return f"{prefix}-workflow-status"


class ExecutionEvents(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        state_machine_arns: list[str],
        workflow_machine_arn_prefix: str,
        status_function: lambda_.IFunction,
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
        self.workflow_rule = self._build_workflow_rule(prefix, workflow_machine_arn_prefix, status_function)
        self._allow_eventbridge_to_write()

    def _build_rule(self, prefix: str, state_machine_arns: list[str]) -> events.CfnRule:
        return events.CfnRule(
            self,
            "StatusChangeRule",
            name=f"{prefix}-execution-status",
            description="Runs of the platform's state machines that failed, timed out or were aborted",
            event_pattern={
                "source": [STATUS_CHANGE_SOURCE],
                "detail-type": [STATUS_CHANGE_DETAIL_TYPE],
                "detail": {"stateMachineArn": state_machine_arns, "status": ENDED_BADLY},
            },
            targets=[events.CfnRule.TargetProperty(id="StatusChangeLog", arn=self.log_group.log_group_arn)],
        )

    def _build_workflow_rule(
        self, prefix: str, workflow_machine_arn_prefix: str, status_function: lambda_.IFunction
    ) -> events.Rule:
        # The machine's own ARN, also for executions of its versions and aliases.
        pattern = workflow_status_pattern(workflow_machine_arn_prefix)
        return events.Rule(
            self,
            "WorkflowStatusRule",
            rule_name=workflow_status_rule_name(prefix),
            description="The status changes tenant workflows' execution records need, to the execution_events function",
            event_pattern=events.EventPattern(
                source=pattern["source"], detail_type=pattern["detail-type"], detail=pattern["detail"]
            ),
            targets=[
                targets.LambdaFunction(status_function, retry_attempts=DELIVERY_RETRIES, max_event_age=DELIVERY_MAX_AGE)
            ],
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
