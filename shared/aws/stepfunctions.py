"""The Step Functions calls the domain makes, one function each; Step Functions' refusals arrive as botocore's
ClientError with its error code, as the API answers them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shared.aws.clients import stepfunctions_client, stepfunctions_sync_client

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions.type_defs import LoggingConfigurationTypeDef, RoutingConfigurationListItemTypeDef


# -- executions ------------------------------------------------------------------------------------------------------


def start_execution(state_machine_arn: str, name: str, state_input: str) -> dict[str, Any]:
    """StartExecution's answer (`executionArn`, `startDate`)."""
    return dict(stepfunctions_client().start_execution(stateMachineArn=state_machine_arn, name=name, input=state_input))


def start_sync_execution(state_machine_arn: str, name: str, state_input: str, read_timeout: float) -> dict[str, Any]:
    """StartSyncExecution's answer (the ended execution), read for at most `read_timeout` seconds (botocore's
    ReadTimeoutError past it)."""
    client = stepfunctions_sync_client(read_timeout)
    return dict(client.start_sync_execution(stateMachineArn=state_machine_arn, name=name, input=state_input))


def describe_execution(execution_arn: str) -> dict[str, Any]:
    return dict(stepfunctions_client().describe_execution(executionArn=execution_arn))


def stop_execution(execution_arn: str, *, error: str, cause: str) -> None:
    stepfunctions_client().stop_execution(executionArn=execution_arn, error=error, cause=cause)


def redrive_execution(execution_arn: str) -> None:
    stepfunctions_client().redrive_execution(executionArn=execution_arn)


def execution_history(execution_arn: str) -> list[dict[str, Any]]:
    """Every event of the execution's history, oldest first, with its data (inputs, outputs)."""
    pages = stepfunctions_client().get_paginator("get_execution_history")
    return [
        dict(event)
        for page in pages.paginate(executionArn=execution_arn, includeExecutionData=True)
        for event in page["events"]
    ]


def first_history_events(execution_arn: str) -> list[dict[str, Any]]:
    """The first page of the execution's history (up to 1,000 events), oldest first."""
    events = stepfunctions_client().get_execution_history(executionArn=execution_arn, reverseOrder=False)["events"]
    return [dict(event) for event in events]


def running_executions(state_machine_arn: str) -> list[str]:
    """The ARNs of the machine's running executions (ClientError StateMachineDoesNotExist once it is gone)."""
    pages = stepfunctions_client().get_paginator("list_executions")
    return [
        execution["executionArn"]
        for page in pages.paginate(stateMachineArn=state_machine_arn, statusFilter="RUNNING")
        for execution in page["executions"]
    ]


def send_task_success(task_token: str, output: str) -> None:
    stepfunctions_client().send_task_success(taskToken=task_token, output=output)


def send_task_failure(task_token: str, *, error: str, cause: str) -> None:
    stepfunctions_client().send_task_failure(taskToken=task_token, error=error, cause=cause)


# -- state machines --------------------------------------------------------------------------------------------------


def create_state_machine(
    *,
    name: str,
    definition: str,
    role_arn: str,
    express: bool,
    version_description: str,
    tags: dict[str, str],
    logging: LoggingConfigurationTypeDef,
) -> tuple[str, str]:
    """Creates the machine and publishes its first version: (machine ARN, version ARN)."""
    created = stepfunctions_client().create_state_machine(
        name=name,
        definition=definition,
        roleArn=role_arn,
        type="EXPRESS" if express else "STANDARD",
        publish=True,
        versionDescription=version_description,
        tags=[{"key": key, "value": value} for key, value in tags.items()],
        loggingConfiguration=logging,
    )
    return created["stateMachineArn"], created["stateMachineVersionArn"]


def update_state_machine(
    state_machine_arn: str, *, definition: str, version_description: str, logging: LoggingConfigurationTypeDef
) -> str:
    """Replaces the machine's definition and publishes it as a version: the version's ARN."""
    updated = stepfunctions_client().update_state_machine(
        stateMachineArn=state_machine_arn,
        definition=definition,
        publish=True,
        versionDescription=version_description,
        loggingConfiguration=logging,
    )
    return updated["stateMachineVersionArn"]


def create_alias(name: str, version_arn: str) -> None:
    """An alias that routes every execution to the version."""
    stepfunctions_client().create_state_machine_alias(name=name, routingConfiguration=_all_to(version_arn))


def update_alias(alias_arn: str, version_arn: str) -> None:
    stepfunctions_client().update_state_machine_alias(
        stateMachineAliasArn=alias_arn, routingConfiguration=_all_to(version_arn)
    )


def delete_state_machine(state_machine_arn: str) -> None:
    """Deletes the machine with its versions and aliases; a machine already gone is no error."""
    stepfunctions_client().delete_state_machine(stateMachineArn=state_machine_arn)


def _all_to(version_arn: str) -> list[RoutingConfigurationListItemTypeDef]:
    return [{"stateMachineVersionArn": version_arn, "weight": 100}]
