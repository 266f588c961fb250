"""Which "Step Functions Execution Status Change" events of workflow executions the status path is given: the one
event pattern of the EventBridge rule `<prefix>-workflow-status` (infra/constructs/execution_events.py), which the
local stand-in for EventBridge (devserver/execution_watcher.py) evaluates as EventBridge does.

A standard run's start is recorded by its starter (shared/executions/start.py writes the record RUNNING with its
transition and `revision` 1, and emits the started metric once StartExecution succeeded), so its first RUNNING event
would tell the record nothing: the rule leaves it out, and with it one execution_events invocation and one
conditional write per standard execution. It matches the ends, PENDING_REDRIVE, and the RUNNING of a redrive (which
reopens the record: `redriveCount` above 0). A first-run RUNNING that still arrives (a rule deployed before, a
redelivery) finds `revision` 1 and is refused by its condition, as a repeated start always was.
"""

from __future__ import annotations

from typing import Any

from shared.executions.statuses import ENDED, ExecutionStatus

STATUS_CHANGE_SOURCE = "aws.states"
STATUS_CHANGE_DETAIL_TYPE = "Step Functions Execution Status Change"
# Every status the record still learns from an event whatever the run (the ends, a redrive's pause).
STATUSES_ALWAYS_DELIVERED = sorted(status.value for status in (*ENDED, ExecutionStatus.PENDING_REDRIVE))


def workflow_status_pattern(machine_arn_prefix: str) -> dict[str, Any]:
    """The event pattern for the workflow machines whose ARNs start with `machine_arn_prefix`
    (`arn:aws:states:<region>:<account>:stateMachine:<prefix>-wf`), their versions and aliases included."""
    return {
        "source": [STATUS_CHANGE_SOURCE],
        "detail-type": [STATUS_CHANGE_DETAIL_TYPE],
        "detail": {
            "stateMachineArn": [{"prefix": f"{machine_arn_prefix}-"}],
            "$or": [
                {"status": STATUSES_ALWAYS_DELIVERED},
                {"status": [ExecutionStatus.RUNNING.value], "redriveCount": [{"numeric": [">", 0]}]},
            ],
        },
    }
