"""Physical names and ARNs of the platform's resources in one stack, derived from shared/resources.py."""

from __future__ import annotations

from aws_cdk import ArnFormat, Stack

from shared.catalog import Resource
from shared.resources import (
    BucketSpec,
    KeySpec,
    MlPipelinesSpec,
    ProvisionedConcurrencySpec,
    QueueSpec,
    ScheduleGroupsSpec,
    SigningKeySpec,
    StateMachineSpec,
    TableScope,
    TableSpec,
    WorkflowStateMachinesSpec,
    resource_physical_names,
)


class ResourceNames:
    """Names are deterministic, so a function's environment and policy never wait on the resource itself.

    `platform_prefix`: the platform's own prefix, when this stack is a silo (whose prefix is its own): platform-scope
    tables are the platform's, in the same account and region, and the silo owns only its tenant-data tables.
    """

    def __init__(self, stack: Stack, prefix: str, platform_prefix: str | None = None) -> None:
        self.stack = stack
        self.prefix = prefix
        self.platform_prefix = platform_prefix or prefix

    def owns(self, table: TableSpec) -> bool:
        """Whether this stack's own tables include `table` (a silo uses the platform's platform-scope tables)."""
        return table.scope is TableScope.TENANT_DATA or self.platform_prefix == self.prefix

    def name(self, resource: Resource) -> str:
        match resource:
            case TableSpec() if not self.owns(resource):
                return resource.physical_name(self.platform_prefix)
            case SigningKeySpec():
                return resource.physical_name(self.platform_prefix)
            case TableSpec() | QueueSpec() | StateMachineSpec() | WorkflowStateMachinesSpec() | KeySpec():
                return resource.physical_name(self.prefix)
            case ScheduleGroupsSpec() | MlPipelinesSpec() | ProvisionedConcurrencySpec():
                return resource.physical_name(self.prefix)
            case BucketSpec():
                return resource.physical_name(self.prefix, self.stack.account, self.stack.region)
        raise TypeError(f"unknown resource kind {type(resource).__name__}")

    def arn(self, resource: Resource) -> str:
        match resource:
            case TableSpec():
                return self._format("dynamodb", "table", self.name(resource), ArnFormat.SLASH_RESOURCE_NAME)
            case QueueSpec():
                return self.stack.format_arn(service="sqs", resource=self.name(resource))
            case StateMachineSpec():
                return self._format("states", "stateMachine", self.name(resource), ArnFormat.COLON_RESOURCE_NAME)
            case WorkflowStateMachinesSpec():
                return self.workflow_arn_prefix(resource)
            case ScheduleGroupsSpec():
                return resource.arn_prefix(self.prefix, self.stack.account, self.stack.region, self.stack.partition)
            case MlPipelinesSpec():
                return resource.arn_prefix(self.prefix, self.stack.account, self.stack.region, self.stack.partition)
            case ProvisionedConcurrencySpec():
                return self._format("lambda", "function", self.name(resource), ArnFormat.COLON_RESOURCE_NAME)
            case BucketSpec():
                return self.stack.format_arn(
                    service="s3",
                    resource=self.name(resource),
                    region="",
                    account="",
                    arn_format=ArnFormat.NO_RESOURCE_NAME,
                )
        raise TypeError(f"unknown resource kind {type(resource).__name__}")

    def workflow_arn_prefix(self, machines: WorkflowStateMachinesSpec) -> str:
        return machines.arn_prefix(self.prefix, self.stack.account, self.stack.region)

    def execution_arns(self, machine: StateMachineSpec | WorkflowStateMachinesSpec | MlPipelinesSpec) -> str:
        """Every execution of the machine, or of every workflow (or ML pipeline) machine."""
        machine_name = (
            f"{self.name(machine)}-*"
            if isinstance(machine, WorkflowStateMachinesSpec | MlPipelinesSpec)
            else self.name(machine)
        )
        return self._format("states", "execution", f"{machine_name}:*", ArnFormat.COLON_RESOURCE_NAME)

    def _format(self, service: str, resource: str, name: str, arn_format: ArnFormat) -> str:
        return self.stack.format_arn(service=service, resource=resource, resource_name=name, arn_format=arn_format)

    def environment_values(self) -> dict[str, str]:
        """Environment variable → what a function is told: a name, or an ARN for state machines."""
        stack = self.stack
        return resource_physical_names(
            self.prefix, stack.account, stack.region, stack.partition, platform_prefix=self.platform_prefix
        )
