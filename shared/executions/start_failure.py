"""Step Functions refused to start a recorded execution (StartExecution or StartSyncExecution): the record ends."""

from __future__ import annotations

from datetime import UTC, datetime

from botocore.exceptions import ClientError

from shared.executions.running_slots import release_running_slot
from shared.executions.statuses import ExecutionStatus
from shared.problems import ServiceUnavailable
from shared.store.executions import ExecutionItem
from shared.store.tenant_scoped import TenantContext


def record_start_failure(tenant: TenantContext, record: ExecutionItem, error: ClientError) -> ServiceUnavailable:
    """Step Functions refused the start: the record ends FAILED and its slots are given back; the problem to raise."""
    record.status = ExecutionStatus.FAILED.value
    record.error = "States.StartFailed"
    record.cause = error.response["Error"].get("Message", "Step Functions refused to start the execution")
    record.stopped_at = datetime.now(UTC)
    record.running_shard = None
    record.save()
    release_running_slot(tenant, record.workflow_id if record.workflow_slot else None)
    return ServiceUnavailable(f"Step Functions refused to start the execution: {record.cause}")
