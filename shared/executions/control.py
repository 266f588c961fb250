"""Controlling executions: cancel (StopExecution), re-run with the same input, redrive a failed standard execution."""

from __future__ import annotations

from botocore.exceptions import ClientError

from shared.aws import stepfunctions
from shared.executions.payloads import load_payload
from shared.executions.record import find_execution
from shared.executions.running_slots import release_running_slot, take_running_slot
from shared.executions.start import StartRequest, start_execution
from shared.executions.statuses import ENDED_BADLY, ExecutionStatus, Trigger
from shared.executions.targets import resolve_run_target
from shared.problems import Conflict
from shared.store.executions import ExecutionItem
from shared.store.tenant_scoped import TenantContext


def cancel_execution(tenant: TenantContext, execution_id: str, requested_by: str) -> ExecutionItem:
    """Stops a running execution; the status change (ABORTED) reaches the record like any other."""
    item = find_execution(tenant, execution_id, consistent=True)
    if item.status != ExecutionStatus.RUNNING.value:
        raise Conflict(f"Execution {execution_id} is {item.status}; only a running execution can be cancelled")
    try:
        stepfunctions.stop_execution(item.execution_arn, error="Cancelled", cause=f"Cancelled by {requested_by}")
    except ClientError as error:
        if error.response["Error"]["Code"] != "ExecutionDoesNotExist":
            raise
        raise Conflict(f"Execution {execution_id} no longer exists in Step Functions (workflow deleted)") from error
    return item


def rerun_execution(tenant: TenantContext, execution_id: str, idempotency_key: str | None = None) -> ExecutionItem:
    """Starts the same workflow version again with the same input, as a new execution."""
    item = find_execution(tenant, execution_id, consistent=True)
    original_input = load_payload(item.input_ref) if item.input_ref else item.input
    return start_execution(
        tenant,
        StartRequest(
            workflow_id=item.workflow_id,
            version=int(item.version),
            input=original_input,
            trigger=Trigger.RERUN,
            source=item.execution_id,
            idempotency_key=idempotency_key,
        ),
    )


def redrive_execution(tenant: TenantContext, execution_id: str) -> ExecutionItem:
    """Restarts a failed standard execution from the step that failed (Step Functions' RedriveExecution)."""
    item = find_execution(tenant, execution_id, consistent=True)
    if ExecutionStatus(item.status) not in ENDED_BADLY:
        raise Conflict(f"Execution {execution_id} is {item.status}; only a failed, timed-out or aborted one redrives")
    if resolve_run_target(tenant, item.workflow_id, int(item.version)).mode != "standard":
        raise Conflict("Express executions can't be redriven; re-run it instead")
    # The redriven execution runs again: it holds its running slots until its next status change ends it. They are
    # taken first, so that an end that comes back at once finds them to give back.
    workflow_slot = str(item.workflow_id) if item.workflow_slot else None
    take_running_slot(tenant, workflow_slot)
    try:
        stepfunctions.redrive_execution(item.execution_arn)
    except ClientError as error:
        release_running_slot(tenant, workflow_slot)
        code = error.response["Error"]["Code"]
        if code == "ExecutionNotRedrivable":
            raise Conflict(error.response["Error"].get("Message", "Step Functions can't redrive it")) from error
        if code == "ExecutionDoesNotExist":
            raise Conflict(f"Execution {execution_id} no longer exists in Step Functions (workflow deleted)") from error
        raise
    return item
