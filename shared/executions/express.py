"""Express executions run synchronously: StartSyncExecution, bounded, and the record updated from its result. Every
express run is run so: `?wait=true`, sync deliveries and MCP calls where they are made, any other start by the express
runner (shared/executions/runner.py).

Express workflows emit no "Step Functions Execution Status Change" events, and their machines log only failures
(level ERROR): the result of StartSyncExecution is applied here as the same two status changes an event would bring
(RUNNING, then the end), in one conditional update when neither was applied yet (shared/executions/record.py's
apply_run_result), and followed by the same metrics as the execution_events function's (and, started by the caller,
the same error workflow); a failure's log events, delivered later, find it applied. The bound is the caller's: an
execution still running when it passes ends its record from its log if it fails; otherwise the record, marked
`outlived_wait_at` (the run is known to have started), ends SUCCEEDED without its output by reconciliation past the
bound (see docs/executions.md, "How a record learns the end").
"""

from __future__ import annotations

import time
from typing import Any

from botocore.exceptions import ClientError, ReadTimeoutError

from shared.aws import s3, stepfunctions
from shared.executions.model import Execution, summary_of
from shared.executions.naming import ExecutionName
from shared.executions.payloads import state_machine_reference
from shared.executions.record import (
    AppliedChange,
    apply_run_result,
    find_execution,
    mark_outlived_wait,
    record_start_failure,
)
from shared.executions.settle import settle_change
from shared.executions.statuses import ExecutionStatus
from shared.problems import ProblemError
from shared.settings import get_settings
from shared.store.executions import ExecutionItem
from shared.store.tenant_scoped import TenantContext

# API Gateway ends an integration after 29 s: the default wait leaves room to record the end and answer.
SYNC_WAIT_SECONDS = 25.0
# How much longer than the wait the client reads before giving up on the answer.
_READ_MARGIN_SECONDS = 2.0


class SyncWaitExceeded(ProblemError):
    status = 504
    slug = "sync-wait-exceeded"
    title = "The execution did not end within the wait"


def run_synchronously(
    tenant: TenantContext,
    record: ExecutionItem,
    version_arn: str,
    name: ExecutionName,
    state_input: str,
    wait_seconds: float,
) -> tuple[ExecutionItem, list[AppliedChange]]:
    """Runs the recorded execution with StartSyncExecution: the record as its end left it, and the changes applied
    (settled here; an error workflow is the caller's to start)."""
    read_timeout = wait_seconds + _READ_MARGIN_SECONDS
    began = time.monotonic()
    try:
        result = stepfunctions.start_sync_execution(version_arn, str(name), state_input, read_timeout)
    except ClientError as error:
        raise record_start_failure(tenant, record, error) from error
    except ReadTimeoutError as error:
        if time.monotonic() - began < read_timeout:
            # A TLS handshake that timed out (urllib3 reports it as a read timeout too): the request never left.
            refused = ClientError({"Error": {"Code": "RequestTimeout", "Message": str(error)}}, "StartSyncExecution")
            raise record_start_failure(tenant, record, refused) from error
        # The request was sent and read for the whole wait: the run started, and goes on in Step Functions.
        mark_outlived_wait(tenant, record.execution_id)
        raise SyncWaitExceeded(
            f"Execution {record.execution_id} was still running after {wait_seconds:g} s. Its record ends when the "
            "run does: a failure or time-out at once (from the execution's log), a success within about 30 minutes "
            "and without its output (GET /v1/executions/{id})",
            execution_id=record.execution_id,
        ) from error
    applied = apply_run_result(record, *_status_changes(record, result))
    for change in applied:
        settle_change(change)
    # The change that applied the end holds the whole record.
    ended = next((change.record for change in applied if change.ended), None)
    return ended or find_execution(tenant, record.execution_id, consistent=True), applied


def _status_changes(record: ExecutionItem, result: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The two events a standard execution would have sent: RUNNING, then its end."""
    started = _epoch_milliseconds(result.get("startDate")) or int(record.started_at.timestamp() * 1000)
    common = {
        "executionArn": result.get("executionArn", record.execution_arn),
        "stateMachineArn": result.get("stateMachineArn"),
        "name": result.get("name"),
        "startDate": started,
        "input": result.get("input"),
    }
    # StartSyncExecution's statuses are SUCCEEDED, FAILED and TIMED_OUT, which are also execution statuses.
    ended = {
        **common,
        "status": ExecutionStatus(str(result["status"])).value,
        "stopDate": _epoch_milliseconds(result.get("stopDate")),
        "output": result.get("output"),
        "error": result.get("error"),
        "cause": result.get("cause"),
    }
    return {**common, "status": ExecutionStatus.RUNNING.value}, ended


def _epoch_milliseconds(moment: Any) -> int | None:
    return int(moment.timestamp() * 1000) if moment is not None else None


def sync_answer(item: ExecutionItem) -> Execution:
    """The ended execution as the wait=true answer: payloads kept in S3 (over 64 KB) are returned by reference,
    `{"payload_ref": {"bucket", "key", "bytes"}}`, as a state machine receives a large input; GET
    /v1/executions/{id} returns them inline."""
    return Execution(
        **summary_of(item).model_dump(),
        input=_reference(item.input_ref) if item.input_ref else item.input,
        output=_reference(item.output_ref) if item.output_ref else item.output,
    )


def _reference(key: str) -> dict[str, Any]:
    size = s3.object_size(get_settings().require("bucket_payloads"), key)
    return state_machine_reference(key, size)
