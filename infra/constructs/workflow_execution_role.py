"""The one role every compiled workflow state machine runs as (IAM is global: the primary region's stack owns it)."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

from shared.catalog import function_physical_name
from shared.resources import TENANT_TARGETS_PREFIX, WorkflowStateMachinesSpec

# Step Functions' managed rule for `.sync` integrations.
SYNC_RULE = "StepFunctionsGetEventsForStepFunctionsExecutionRule"


class WorkflowExecutionRole(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, prefix: str, machines: WorkflowStateMachinesSpec
    ) -> None:
        super().__init__(scope, construct_id)
        self._stack = Stack.of(self)
        self._prefix = prefix
        self.role = iam.Role(
            self,
            "Role",
            role_name=machines.execution_role_name(prefix),
            assumed_by=iam.ServicePrincipal("states.amazonaws.com"),
            description="Runs tenants' compiled workflows in every region",
            inline_policies={"workflow-execution": iam.PolicyDocument(statements=self._statements(machines))},
        )
        NagSuppressions.add_resource_suppressions(
            self.role,
            [
                NagPackSuppression(
                    id="AwsSolutions-IAM5",
                    reason="Workflow machines are created at run time in every configured region, so their ARNs "
                    "end in `<prefix>-<key>-*`; tenants' topics and buses are created per tenant, named "
                    "`forge-<tenant id>-*`; X-Ray and log delivery take no resource ARN",
                )
            ],
            apply_to_children=True,
        )

    def _arn(self, service: str, resource: str, name: str, separator: str = ":") -> str:
        return f"arn:{self._stack.partition}:{service}:*:{self._stack.account}:{resource}{separator}{name}"

    def _statements(self, machines: WorkflowStateMachinesSpec) -> list[iam.PolicyStatement]:
        machine_name = machines.physical_name(self._prefix)
        # The alias the compiled Task states name (shared/workflows/placement.py), and the unqualified function that
        # versions published before they named it still invoke (docs/forecasts.md); no other version or alias.
        functions = [
            self._arn("lambda", "function", function_physical_name(self._prefix, name))
            for name in machines.invokes_functions
        ]
        invoked = [*(f"{arn}:{machines.function_alias}" for arn in functions), *functions]
        queues = [
            f"arn:{self._stack.partition}:sqs:*:{self._stack.account}:{queue.physical_name(self._prefix)}"
            for queue in machines.sends_to
        ]
        statements = [
            iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=invoked),
            iam.PolicyStatement(
                actions=["states:StartExecution"], resources=[self._arn("states", "stateMachine", f"{machine_name}-*")]
            ),
            iam.PolicyStatement(
                actions=["states:DescribeExecution", "states:StopExecution"],
                resources=[self._arn("states", "execution", f"{machine_name}-*:*")],
            ),
            iam.PolicyStatement(
                actions=["events:PutTargets", "events:PutRule", "events:DescribeRule"],
                resources=[self._arn("events", "rule", SYNC_RULE, "/")],
            ),
            # Tenants' notify and emit_event nodes: tenants' own topics and buses only (validation holds each
            # tenant to its own prefix), never the platform's alarm topic or the default bus.
            iam.PolicyStatement(
                actions=["events:PutEvents"],
                resources=[self._arn("events", "event-bus", f"{TENANT_TARGETS_PREFIX}*", "/")],
            ),
            iam.PolicyStatement(
                actions=["sns:Publish"], resources=[self._arn("sns", "", f"{TENANT_TARGETS_PREFIX}*", "")]
            ),
            iam.PolicyStatement(
                actions=[
                    "xray:PutTraceSegments",
                    "xray:PutTelemetryRecords",
                    "logs:CreateLogDelivery",
                    "logs:GetLogDelivery",
                    "logs:UpdateLogDelivery",
                    "logs:DeleteLogDelivery",
                    "logs:ListLogDeliveries",
                    "logs:PutResourcePolicy",
                    "logs:DescribeResourcePolicies",
                    "logs:DescribeLogGroups",
                ],
                resources=["*"],
            ),
        ]
        if queues:
            statements.append(iam.PolicyStatement(actions=["sqs:SendMessage"], resources=queues))
            statements.append(
                iam.PolicyStatement(
                    actions=["kms:GenerateDataKey", "kms:Decrypt"],
                    resources=[self._arn("kms", "key", "*", "/")],
                    conditions={"StringLike": {"kms:ViaService": "sqs.*.amazonaws.com"}},
                )
            )
        return statements
