"""Express workflows' execution events: their log group, subscribed to the execution_events function.

Step Functions sends status-change events to EventBridge only for standard workflows; an express machine reports
its executions only to CloudWatch Logs. Every express workflow machine (created at run time by the workflows
function, shared/workflows/state_machines.py) logs its failures (level ERROR; every express run is run synchronously,
where its success is applied: shared/executions/runner.py), with execution data, to one log group per region,
`/aws/vendedlogs/states/<prefix>-wf-express` (the name derives from the workflow machines' ARN prefix the
workflows function is told). A subscription filter passes the execution-level events (started, succeeded, failed,
timed out, aborted) to execution_events, which applies them as it applies EventBridge's (docs/executions.md).
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_logs_destinations as destinations
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

from shared.resources import WORKFLOW_STATE_MACHINES

# The execution-level events a machine logs (shared/executions/status.py maps each to a status).
EXECUTION_EVENT_TYPES = (
    "ExecutionStarted",
    "ExecutionSucceeded",
    "ExecutionFailed",
    "ExecutionTimedOut",
    "ExecutionAborted",
)

# What the one who configures a state machine's vended logs needs (Step Functions' and CloudWatch Logs' guides):
# the log deliveries (no resource ARNs), and the log groups' resource policy that lets the deliveries write.
LOG_DELIVERY_ACTIONS = (
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
)
LOG_RESOURCE_POLICY_ACTIONS = ("logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups")


class ExpressExecutionLogs(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        status_function: lambda_.IFunction,
        workflows_function: lambda_.Function,
        log_retention: logs.RetentionDays,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=WORKFLOW_STATE_MACHINES.express_log_group_name(prefix),
            retention=log_retention,
            removal_policy=removal_policy,
        )
        # States' events (entered, exited, task results) are most of the log and tell the record nothing.
        execution_events = logs.FilterPattern.any(
            *(logs.FilterPattern.string_value("$.type", "=", event_type) for event_type in EXECUTION_EVENT_TYPES)
        )
        # The destination also allows logs.amazonaws.com to invoke the function, for this log group only.
        self.subscription = logs.SubscriptionFilter(
            self,
            "ToExecutionEvents",
            log_group=self.log_group,
            destination=destinations.LambdaDestination(status_function),
            filter_pattern=execution_events,
            filter_name=f"{prefix}-express-execution-events",
        )
        self.delivery_policy = self._allow_log_delivery(workflows_function)

    def _allow_log_delivery(self, workflows_function: lambda_.Function) -> iam.Policy:
        """The workflows function creates the express machines with their logging configuration."""
        stack = Stack.of(self)
        log_groups = f"arn:{stack.partition}:logs:{stack.region}:{stack.account}:log-group:*"
        assert workflows_function.role is not None
        policy = iam.Policy(
            self,
            "WorkflowsLogDelivery",
            statements=[
                iam.PolicyStatement(actions=list(LOG_DELIVERY_ACTIONS), resources=["*"]),
                iam.PolicyStatement(actions=list(LOG_RESOURCE_POLICY_ACTIONS), resources=[log_groups]),
            ],
            roles=[workflows_function.role],
        )
        NagSuppressions.add_resource_suppressions(
            policy,
            [
                NagPackSuppression(
                    id="AwsSolutions-IAM5",
                    reason="Log deliveries take no resource ARN; the resource policy and log group actions take "
                    "`log-group:*` in this region and account (CloudWatch Logs' guide for vended logs)",
                )
            ],
        )
        return policy
