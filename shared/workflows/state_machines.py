"""A workflow's state machine in Step Functions: where it lives, deploying a version of it, its live alias, its
running executions, and Step Functions' refusals as problems. The calls go through shared/aws/stepfunctions.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from shared.aws import stepfunctions
from shared.problems import Conflict
from shared.settings import get_settings
from shared.store.tenant_scoped import TenantContext
from shared.store.workflows import WorkflowItem
from shared.workflows.placement import LIVE_ALIAS, WorkflowPlacement

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions.type_defs import LoggingConfigurationTypeDef


class StateMachineMissing(Conflict):
    slug = "state-machine-missing"
    title = "The workflow's state machine no longer exists"


# What Step Functions answers for a state machine, version or alias that is gone.
_MISSING = ("StateMachineDoesNotExist", "ResourceNotFound")


@cache
def placement() -> WorkflowPlacement:
    return WorkflowPlacement.from_arn_prefix(get_settings().require("workflow_state_machines"))


def deploy(
    tenant: TenantContext, item: WorkflowItem, definition: dict[str, Any], document: dict[str, Any], description: str
) -> tuple[str, str]:
    """Creates or updates the workflow's state machine and publishes a version: (machine ARN, version ARN)."""
    body = json.dumps(definition, separators=(",", ":"))
    express = (document.get("settings") or {}).get("mode", "standard") == "express"
    logging = logging_configuration(express=express)
    if item.state_machine_arn is None:
        return stepfunctions.create_state_machine(
            name=placement().state_machine_name(item.workflow_id),
            definition=body,
            role_arn=placement().execution_role_arn,
            express=express,
            version_description=description,
            tags={"nexus-forge:tenant": tenant.tenant_id, "nexus-forge:workflow": item.workflow_id},
            logging=logging,
        )
    version_arn = stepfunctions.update_state_machine(
        item.state_machine_arn, definition=body, version_description=description, logging=logging
    )
    return item.state_machine_arn, version_arn


def point_live_alias(workflow_id: str, version_arn: str, *, exists: bool) -> None:
    if exists:
        stepfunctions.update_alias(placement().alias_arn(workflow_id), version_arn)
    else:
        stepfunctions.create_alias(LIVE_ALIAS, version_arn)


def running_executions(state_machine_arn: str) -> list[str]:
    """The running executions; none once the machine is gone (a delete that failed after deleting it)."""
    try:
        return stepfunctions.running_executions(state_machine_arn)
    except ClientError as error:
        if error.response["Error"]["Code"] == "StateMachineDoesNotExist":
            return []
        raise


def delete_state_machine(state_machine_arn: str, *, stopping: list[str]) -> None:
    """Stops the executions `stopping` names, then deletes the machine with its versions and aliases."""
    for execution_arn in stopping:
        stepfunctions.stop_execution(execution_arn, error="WorkflowDeleted", cause="deleted with force")
    stepfunctions.delete_state_machine(state_machine_arn)


@contextmanager
def state_machine_present(item: WorkflowItem) -> Iterator[None]:
    """Step Functions no longer has the machine (or the version or alias) the workflow's records name: deleted
    outside the platform, or a local state dir that lost it. A 409 saying so and how to carry on, not a 500."""
    try:
        yield
    except ClientError as error:
        if error.response["Error"]["Code"] not in _MISSING:
            raise
        raise StateMachineMissing(
            f"Step Functions no longer has the state machine of workflow {item.workflow_id} "
            f"({error.response['Error'].get('Message', '')}); export the workflow and import it as a new one"
        ) from error


def logging_configuration(*, express: bool) -> LoggingConfigurationTypeDef:
    """Express machines send no status-change events, and every express run is run synchronously, where its end is
    applied (shared/executions/runner.py): they log only failures (level ERROR: ExecutionFailed, ExecutionTimedOut,
    ExecutionAborted, with their error and cause) to the log group execution_events is subscribed to, the backstop
    when the run's starter died before applying its end (docs/executions.md). Standard machines report through
    EventBridge and log nothing."""
    if not express:
        return {"level": "OFF"}
    return {
        "level": "ERROR",
        "includeExecutionData": True,
        "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": placement().express_log_group_arn}}],
    }
