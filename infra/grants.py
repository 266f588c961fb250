"""The one mapping from a catalog Grant to IAM: exactly the actions a function may take on exactly its resources."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_cdk import ArnFormat
from aws_cdk import aws_iam as iam

from infra.names import ResourceNames
from shared.catalog import Access, Grant, function_physical_name
from shared.resources import (
    BucketPrefixSpec,
    BucketSpec,
    KeySpec,
    MlPipelinesSpec,
    ProvisionedConcurrencySpec,
    QueueSpec,
    ScheduleGroupsSpec,
    SigningKeySpec,
    StateMachineSpec,
    TableSpec,
    WorkflowStateMachinesSpec,
)


class UnsupportedGrant(ValueError):
    """The catalog declares a grant this mapping does not know: extend `grant_policy` rather than widen a role."""


@dataclass(frozen=True)
class GrantPolicy:
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    conditions: dict[str, Any] | None = None

    def statement(self) -> iam.PolicyStatement:
        return iam.PolicyStatement(
            actions=list(self.actions), resources=list(self.resources), conditions=self.conditions
        )


# No Scan: tenant data is only ever read by key (tenancy isolation relies on it).
_TABLE_READ = ("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:ConditionCheckItem")
_TABLE_WRITE = ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem")
# PURGE: a tenant's items, partition by partition (a Query and BatchWriteItem deletes; still no Scan).
_TABLE_PURGE = ("dynamodb:Query", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem")
# What a DynamoDB stream event source mapping polls with (the function's role), on the table's streams only.
_TABLE_STREAM_READ = (
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:ListStreams",
)
_BUCKET_READ = ("s3:GetObject",)
_BUCKET_WRITE = ("s3:PutObject",)
_QUEUE_READ = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes")
_QUEUE_WRITE = ("sqs:SendMessage", "sqs:GetQueueAttributes")
_KMS_READ = ("kms:Decrypt",)
_KMS_WRITE = ("kms:Encrypt", "kms:GenerateDataKey", "kms:Decrypt")
_KMS_SIGN = ("kms:Sign",)
_KMS_VERIFY = ("kms:Verify", "kms:GetPublicKey")

_WORKFLOW_MACHINES_MANAGE = (
    "states:CreateStateMachine",
    "states:UpdateStateMachine",
    "states:DeleteStateMachine",
    "states:DescribeStateMachine",
    "states:PublishStateMachineVersion",
    "states:ListStateMachineVersions",
    "states:DeleteStateMachineVersion",
    "states:CreateStateMachineAlias",
    "states:UpdateStateMachineAlias",
    "states:DeleteStateMachineAlias",
    "states:DescribeStateMachineAlias",
    "states:StartExecution",
    "states:TagResource",
)
# A test run of a draft (shared/workflows/test_runs.py) is followed to its end and its history read.
_WORKFLOW_EXECUTIONS = ("states:DescribeExecution", "states:StopExecution", "states:GetExecutionHistory")
_WORKFLOW_TASK_ANSWERS = ("states:SendTaskSuccess", "states:SendTaskFailure")
# PURGE: stop a workflow machine's running executions, then delete it (with its versions and aliases).
_WORKFLOW_MACHINES_PURGE = ("states:ListExecutions", "states:DeleteStateMachine")
_WORKFLOW_ALIAS_REPOINT = ("states:UpdateStateMachineAlias", "states:DescribeStateMachineAlias")
_SCHEDULE_GROUPS_MANAGE = ("scheduler:GetScheduleGroup", "scheduler:CreateScheduleGroup")
_SCHEDULES_MANAGE = (
    "scheduler:GetSchedule",
    "scheduler:CreateSchedule",
    "scheduler:UpdateSchedule",
    "scheduler:DeleteSchedule",
)
# START: what starting a run and following it takes; START_SYNC adds starting it synchronously; RUN adds what the
# executions API does to runs; SETTLE reads a run's status and history and starts error workflows.
_WORKFLOW_STARTS = {
    Access.START: ("states:StartExecution",),
    Access.START_SYNC: ("states:StartExecution", "states:StartSyncExecution"),
    Access.RUN: ("states:StartExecution", "states:StartSyncExecution"),
    Access.SETTLE: ("states:StartExecution",),
}
_WORKFLOW_RUNS = {
    Access.START: ("states:GetExecutionHistory",),
    Access.START_SYNC: ("states:GetExecutionHistory",),
    Access.RUN: ("states:GetExecutionHistory", "states:StopExecution", "states:RedriveExecution"),
    Access.SETTLE: ("states:DescribeExecution", "states:GetExecutionHistory"),
}

_READ_WRITE = {Access.READ: (True, False), Access.WRITE: (False, True), Access.READ_WRITE: (True, True)}


def _pick(access: Access, read: tuple[str, ...], write: tuple[str, ...], grant: Grant) -> tuple[str, ...]:
    if access not in _READ_WRITE:
        raise UnsupportedGrant(f"{access.value!r} access is not defined for {type(grant.resource).__name__}")
    wants_read, wants_write = _READ_WRITE[access]
    return tuple(dict.fromkeys((*(read if wants_read else ()), *(write if wants_write else ()))))


def grant_policy(grant: Grant, names: ResourceNames, key_arn: str) -> list[GrantPolicy]:
    """The IAM statements for one grant; raises UnsupportedGrant for an access or resource kind it does not know."""
    resource, access = grant.resource, grant.access
    match resource:
        case TableSpec():
            return _table(resource, grant, names)
        case BucketSpec() | BucketPrefixSpec():
            return _bucket(resource, grant, names, key_arn)
        case QueueSpec():
            return [
                GrantPolicy(_pick(access, _QUEUE_READ, _QUEUE_WRITE, grant), (names.arn(resource),)),
                GrantPolicy(_pick(access, _KMS_READ, _KMS_WRITE, grant), (key_arn,)),
            ]
        case KeySpec() | SigningKeySpec():
            return [_key(resource, grant, names, key_arn)]
        case StateMachineSpec():
            return _start_machine(resource, access, names)
        case WorkflowStateMachinesSpec():
            return _workflow_machines(resource, access, names)
        case ScheduleGroupsSpec():
            return _manage_schedule_groups(resource, access, names)
        case MlPipelinesSpec():
            return _ml_pipelines(resource, access, names)
        case ProvisionedConcurrencySpec():
            return _provisioned_concurrency(resource, access, names)
    raise UnsupportedGrant(f"unknown resource kind {type(resource).__name__} in a catalog grant")


def _table(table: TableSpec, grant: Grant, names: ResourceNames) -> list[GrantPolicy]:
    table_arn = names.arn(table)
    if grant.access is Access.PURGE:
        return [GrantPolicy(_TABLE_PURGE, (table_arn,))]
    if grant.access is Access.READ_STREAM:
        return [GrantPolicy(_TABLE_STREAM_READ, (f"{table_arn}/stream/*",))]
    return [GrantPolicy(_pick(grant.access, _TABLE_READ, _TABLE_WRITE, grant), (table_arn, f"{table_arn}/index/*"))]


def _bucket(
    bucket: BucketSpec | BucketPrefixSpec, grant: Grant, names: ResourceNames, key_arn: str
) -> list[GrantPolicy]:
    if isinstance(bucket, BucketPrefixSpec):
        return _bucket_prefix(bucket, grant.access, names, key_arn)
    objects = f"{names.arn(bucket)}/*"
    if grant.access is Access.PURGE:
        return [
            GrantPolicy(("s3:ListBucket",), (names.arn(bucket),)),
            GrantPolicy(("s3:DeleteObject",), (objects,)),
        ]
    return [
        GrantPolicy(_pick(grant.access, _BUCKET_READ, _BUCKET_WRITE, grant), (objects,)),
        GrantPolicy(_pick(grant.access, _KMS_READ, _KMS_WRITE, grant), (key_arn,)),
    ]


def _bucket_prefix(objects: BucketPrefixSpec, access: Access, names: ResourceNames, key_arn: str) -> list[GrantPolicy]:
    """READ: listing the prefix (ListBucket conditioned on it) and reading the objects under it."""
    if access is not Access.READ:
        raise UnsupportedGrant(f"{access.value!r} access is not defined for BucketPrefixSpec")
    bucket = names.arn(objects.bucket)
    return [
        GrantPolicy(("s3:ListBucket",), (bucket,), {"StringLike": {"s3:prefix": [f"{objects.prefix}*"]}}),
        GrantPolicy(_BUCKET_READ, (f"{bucket}/{objects.prefix}*",)),
        GrantPolicy(_KMS_READ, (key_arn,)),
    ]


def _key(key: KeySpec | SigningKeySpec, grant: Grant, names: ResourceNames, key_arn: str) -> GrantPolicy:
    """The platform key (`key_arn`): READ/WRITE. A signing key: SIGN or VERIFY with the key its alias names in this
    region; its ARN is a replica's in the other regions and the platform's for a silo, so the policy names no ARN but
    the one alias (any key of the account, conditioned on carrying it)."""
    if isinstance(key, KeySpec):
        return GrantPolicy(_pick(grant.access, _KMS_READ, _KMS_WRITE, grant), (key_arn,))
    actions = {Access.SIGN: _KMS_SIGN, Access.VERIFY: _KMS_VERIFY}.get(grant.access)
    if actions is None:
        raise UnsupportedGrant(f"{grant.access.value!r} access is not defined for SigningKeySpec")
    keys = names.stack.format_arn(service="kms", resource="key", resource_name="*")
    return GrantPolicy(actions, (keys,), {"ForAnyValue:StringEquals": {"kms:ResourceAliases": [names.name(key)]}})


def _workflow_machines(machines: WorkflowStateMachinesSpec, access: Access, names: ResourceNames) -> list[GrantPolicy]:
    if access is Access.ANSWER_TASKS:
        # Task tokens are checked against the machine the task runs in: any workflow machine, any version.
        return [GrantPolicy(_WORKFLOW_TASK_ANSWERS, (f"{names.workflow_arn_prefix(machines)}-*",))]
    if access in _WORKFLOW_STARTS:
        return _run_workflow_machines(machines, access, names)
    if access is Access.REPOINT:
        # An alias's routing only: no machine, version or alias is created or deleted, and no role is passed.
        return [GrantPolicy(_WORKFLOW_ALIAS_REPOINT, (f"{names.workflow_arn_prefix(machines)}-*",))]
    if access is Access.PURGE:
        return [
            GrantPolicy(_WORKFLOW_MACHINES_PURGE, (f"{names.workflow_arn_prefix(machines)}-*",)),
            GrantPolicy(("states:StopExecution",), (names.execution_arns(machines),)),
        ]
    if access is not Access.MANAGE:
        raise UnsupportedGrant(f"{access.value!r} access is not defined for WorkflowStateMachinesSpec")
    return _manage_workflow_machines(machines, names)


def _manage_workflow_machines(machines: WorkflowStateMachinesSpec, names: ResourceNames) -> list[GrantPolicy]:
    """Every machine named `<prefix>-<key>-*` (with its versions and aliases), and passing their one role."""
    stack = names.stack
    arn_prefix = names.workflow_arn_prefix(machines)
    execution_role = stack.format_arn(
        service="iam", region="", resource="role", resource_name=machines.execution_role_name(names.prefix)
    )
    return [
        GrantPolicy(_WORKFLOW_MACHINES_MANAGE, (f"{arn_prefix}-*",)),
        GrantPolicy(_WORKFLOW_EXECUTIONS, (names.execution_arns(machines),)),
        GrantPolicy(("iam:PassRole",), (execution_role,)),
    ]


def _run_workflow_machines(
    machines: WorkflowStateMachinesSpec, access: Access, names: ResourceNames
) -> list[GrantPolicy]:
    """Starting any workflow machine (its versions and aliases too), acting on the executions of them all, and
    handing an express run to the express runner (an asynchronous invoke of its alias, shared/executions/runner.py)."""
    runner = function_physical_name(names.prefix, machines.express_runner)
    runner_alias = names.stack.format_arn(
        service="lambda",
        resource="function",
        resource_name=f"{runner}:{machines.function_alias}",
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )
    return [
        GrantPolicy(_WORKFLOW_STARTS[access], (f"{names.workflow_arn_prefix(machines)}-*",)),
        GrantPolicy(_WORKFLOW_RUNS[access], (names.execution_arns(machines),)),
        GrantPolicy(("lambda:InvokeFunction",), (runner_alias,)),
    ]


def _start_machine(machine: StateMachineSpec, access: Access, names: ResourceNames) -> list[GrantPolicy]:
    if access is not Access.START:
        raise UnsupportedGrant(f"{access.value!r} access is not defined for StateMachineSpec")
    # Starting a run includes following it: the caller reads the execution it started.
    return [
        GrantPolicy(("states:StartExecution",), (names.arn(machine),)),
        GrantPolicy(("states:DescribeExecution",), (names.execution_arns(machine),)),
    ]


def _manage_schedule_groups(groups: ScheduleGroupsSpec, access: Access, names: ResourceNames) -> list[GrantPolicy]:
    """The tenants' groups `<prefix>-<key>-*` and their schedules, and passing the role the schedules invoke with;
    PURGE: deleting the groups (which deletes their schedules)."""
    if access is Access.PURGE:
        return [
            GrantPolicy(("scheduler:GetScheduleGroup", "scheduler:DeleteScheduleGroup"), (f"{names.arn(groups)}-*",))
        ]
    if access is not Access.MANAGE:
        raise UnsupportedGrant(f"{access.value!r} access is not defined for ScheduleGroupsSpec")
    stack = names.stack
    group_base = names.name(groups)
    invoke_role = stack.format_arn(
        service="iam", region="", resource="role", resource_name=groups.invoke_role_name(names.prefix)
    )
    return [
        GrantPolicy(_SCHEDULE_GROUPS_MANAGE, (f"{names.arn(groups)}-*",)),
        GrantPolicy(
            _SCHEDULES_MANAGE,
            (stack.format_arn(service="scheduler", resource="schedule", resource_name=f"{group_base}-*/*"),),
        ),
        GrantPolicy(("iam:PassRole",), (invoke_role,)),
    ]


def _ml_pipelines(pipelines: MlPipelinesSpec, access: Access, names: ResourceNames) -> list[GrantPolicy]:
    """READ: the Model Registry's packages of the platform's groups (`forge-*`); START: starting the ML pipelines
    and following their executions and training jobs (named `ml-*` after their executions); SERVE: START, and the
    tuned agent models' jobs and endpoints (`<prefix>-tm-*`): following, stopping, deleting."""
    stack = names.stack
    if access is Access.READ:
        return [
            # ListModelPackages takes no resource ARN (SageMaker's service authorization reference).
            GrantPolicy(("sagemaker:ListModelPackages",), ("*",)),
            GrantPolicy(
                ("sagemaker:DescribeModelPackage",),
                (stack.format_arn(service="sagemaker", resource="model-package", resource_name="forge-*"),),
            ),
        ]
    if access is Access.SERVE:
        tuned = f"{names.prefix}-tm-*"
        return [
            *_ml_pipelines(pipelines, Access.START, names),
            GrantPolicy(("states:StopExecution",), (names.execution_arns(pipelines),)),
            GrantPolicy(
                ("sagemaker:DescribeTrainingJob",),
                (stack.format_arn(service="sagemaker", resource="training-job", resource_name=tuned),),
            ),
            GrantPolicy(
                ("sagemaker:DescribeEndpoint", "sagemaker:DeleteEndpoint"),
                (stack.format_arn(service="sagemaker", resource="endpoint", resource_name=tuned),),
            ),
            GrantPolicy(
                ("sagemaker:DeleteEndpointConfig",),
                (stack.format_arn(service="sagemaker", resource="endpoint-config", resource_name=tuned),),
            ),
            GrantPolicy(
                ("sagemaker:DeleteModel",),
                (stack.format_arn(service="sagemaker", resource="model", resource_name=tuned),),
            ),
        ]
    if access is not Access.START:
        raise UnsupportedGrant(f"{access.value!r} access is not defined for MlPipelinesSpec")
    return [
        GrantPolicy(("states:StartExecution",), (f"{names.arn(pipelines)}-*",)),
        GrantPolicy(("states:DescribeExecution",), (names.execution_arns(pipelines),)),
        GrantPolicy(
            ("sagemaker:DescribeTrainingJob",),
            (stack.format_arn(service="sagemaker", resource="training-job", resource_name="ml-*"),),
        ),
    ]


# Application Auto Scaling's scalable-target ARNs are random ids it assigns: its actions take no resource of ours.
_SCALING_ACTIONS = (
    "application-autoscaling:RegisterScalableTarget",
    "application-autoscaling:PutScheduledAction",
    "application-autoscaling:DescribeScalableTargets",
    "application-autoscaling:DescribeScheduledActions",
)
# What registering a Lambda alias as a target checks the caller for, on the aliases themselves.
_PROVISIONED_CONCURRENCY = (
    "lambda:PutProvisionedConcurrencyConfig",
    "lambda:GetProvisionedConcurrencyConfig",
    "lambda:DeleteProvisionedConcurrencyConfig",
)


def _provisioned_concurrency(
    scaling: ProvisionedConcurrencySpec, access: Access, names: ResourceNames
) -> list[GrantPolicy]:
    """WRITE: scheduled actions on the hot functions' aliases, their provisioned concurrency, and the service-linked
    role Application Auto Scaling creates on the first registration."""
    if access is not Access.WRITE:
        raise UnsupportedGrant(f"{access.value!r} access is not defined for ProvisionedConcurrencySpec")
    aliases = tuple(
        f"{names.arn(scaling)}{function.replace('_', '-')}:{scaling.alias}" for function in scaling.functions
    )
    service_linked_role = names.stack.format_arn(
        service="iam",
        region="",
        resource="role",
        resource_name="aws-service-role/lambda.application-autoscaling.amazonaws.com/"
        "AWSServiceRoleForApplicationAutoScaling_LambdaConcurrency",
    )
    return [
        GrantPolicy(_SCALING_ACTIONS, ("*",)),
        GrantPolicy(_PROVISIONED_CONCURRENCY, aliases),
        GrantPolicy(("iam:CreateServiceLinkedRole",), (service_linked_role,)),
    ]
