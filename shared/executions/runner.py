"""Asynchronous express runs, run synchronously by a function: the express runner.

Express machines log only their failures (level ERROR, shared/workflows/state_machines.py): a success is logged only
at level ALL, which costs every run its log. So no express run is started with StartExecution. A start without a
wait (the API without `wait=true`, an async-mode webhook endpoint, a schedule, an error workflow, a re-run) records
the run as every start does, then hands it to the runner: an asynchronous invocation (InvocationType Event) of the
function `WORKFLOW_STATE_MACHINES.express_runner` (execution_events) on its alias. The runner runs it with
StartSyncExecution and applies its end as `?wait=true` does (shared/executions/express.py's run_synchronously, then
the caller's follow-up: error workflow and quality control).

Exactly once: Lambda retries a failed asynchronous invocation (twice), and may deliver one more than once. Before
StartSyncExecution the runner marks the record taken (`take_express_run`: one conditional write, which returns the
record); a repeated event finds it taken and starts nothing. A run whose runner never ran, or died after taking it,
keeps its record RUNNING until reconciliation (shared/operations/execution_reconcile.py) ends it.
"""

from __future__ import annotations

from typing import Any

from shared.aws.lambda_functions import invoke_asynchronously
from shared.catalog import function_physical_name
from shared.executions.naming import ExecutionName
from shared.executions.record import EndFollowUp, state_input_of, take_express_run
from shared.problems import ProblemError
from shared.resources import WORKFLOW_STATE_MACHINES
from shared.settings import get_settings
from shared.store.tenant_scoped import TenantContext

# The event's one key: beside EventBridge's status changes and CloudWatch Logs' batches, the runner's own shape.
EXPRESS_RUN = "express_run"
# An express execution runs at most 5 minutes; the runner waits that long (its function's timeout adds a margin).
EXPRESS_RUN_MAX_SECONDS = 300.0


def hand_to_runner(name: ExecutionName, version_arn: str) -> None:
    """Queues the recorded run for the runner (Lambda answers at once)."""
    invoke_asynchronously(express_runner_arn(), {EXPRESS_RUN: {"name": str(name), "version_arn": version_arn}})


def express_runner_arn() -> str:
    """The runner's alias ARN in this deployment, derived from the workflow machines' ARN prefix."""
    region, account, prefix = WORKFLOW_STATE_MACHINES.read_arn_prefix(get_settings().require("workflow_state_machines"))
    function = function_physical_name(prefix, WORKFLOW_STATE_MACHINES.express_runner)
    return f"arn:aws:lambda:{region}:{account}:function:{function}:{WORKFLOW_STATE_MACHINES.function_alias}"


def is_express_run(event: dict[str, Any]) -> bool:
    return EXPRESS_RUN in event


def run_handed_over(event: dict[str, Any], after_end: EndFollowUp) -> dict[str, Any]:
    """Runs the handed-over run once and applies its end (each change followed by `after_end`); what was done."""
    handed = event[EXPRESS_RUN]
    name = ExecutionName.parse(str(handed.get("name", "")))
    if name is None:
        return {"ran": False, "reason": "not a platform execution"}
    tenant = TenantContext(name.tenant_id)
    record = take_express_run(tenant, name.execution_id)
    if record is None:
        return {"ran": False, "reason": "taken before, or no longer waiting to start"}
    # Imported here: the synchronous path (payload answers, the API's models) would cost every cold start of
    # execution_events, most of whose invocations are status changes.
    from shared.executions.express import run_synchronously

    try:
        _, changes = run_synchronously(
            tenant, record, str(handed["version_arn"]), name, state_input_of(record), EXPRESS_RUN_MAX_SECONDS
        )
    except ProblemError as problem:
        # Step Functions refused the start (the record ended FAILED with the slots back) or the run outlived the wait:
        # nothing a retry of this event could do.
        return {"ran": False, "reason": str(problem)}
    for change in changes:
        after_end(change)
    return {"ran": True, "status": changes[-1].record.status if changes else None}
