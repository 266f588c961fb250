"""The local stand-in for an express machine's execution log and its subscription.

In the cloud an express machine reports its executions only to CloudWatch Logs, as its logging configuration says
(level, execution data), and the log group's subscription filter passes the execution-level events to the
execution_events function. Locally the status watcher (devserver/execution_watcher.py) hands each express status
change here: the log event Step Functions would write for it, if the machine's level logs it, as a subscription batch
of the same shape (`awslogs.data`, gzip and base64).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from shared.aws.cloudwatch_logs import encode_logs_data
from shared.executions.log_events import logs_execution_event
from shared.resources import WORKFLOW_STATE_MACHINES

# The execution event Step Functions logs for each status.
_EVENT_TYPES = {
    "RUNNING": "ExecutionStarted",
    "SUCCEEDED": "ExecutionSucceeded",
    "FAILED": "ExecutionFailed",
    "TIMED_OUT": "ExecutionTimedOut",
    "ABORTED": "ExecutionAborted",
}


def express_arn(described: dict[str, Any]) -> str:
    """The ARN Step Functions gives an express execution, `...:express:<machine>:<name>:<run id>` (the run id is
    derived from the emulated execution, so its start and end name the same run)."""
    region, account, machine = _machine_parts(str(described["stateMachineArn"]))
    run_id = uuid.uuid5(uuid.NAMESPACE_URL, str(described["executionArn"]))
    return f"arn:aws:states:{region}:{account}:express:{machine}:{described['name']}:{run_id}"


def execution_log_event(described: dict[str, Any], logging: dict[str, Any], number: int = 1) -> dict[str, Any] | None:
    """The log event of the execution's status (a DescribeExecution-like view) at the machine's `logging`
    configuration; None when its level does not log it (level ERROR: a success or a start)."""
    status = str(getattr(described["status"], "value", described["status"]))
    event_type = _EVENT_TYPES.get(status)
    if event_type is None or not logs_execution_event(str(logging.get("level", "OFF")), event_type):
        return None
    with_data = bool(logging.get("includeExecutionData"))
    if status == "RUNNING":
        at = described["startDate"]
        details: dict[str, Any] = {"roleArn": described.get("roleArn", "")}
        if with_data:
            details |= {"input": described.get("input"), "inputDetails": {"truncated": False}}
    else:
        at = described.get("stopDate") or described["startDate"]
        details = {field: described[field] for field in ("error", "cause") if described.get(field) is not None}
        if status == "SUCCEEDED" and with_data:
            details |= {"output": described.get("output"), "outputDetails": {"truncated": False}}
    return {
        "id": str(number),
        "type": event_type,
        "details": details,
        "previous_event_id": str(number - 1),
        "event_timestamp": str(_epoch_milliseconds(at)),
        "execution_arn": express_arn(described),
        "redrive_count": str(described.get("redriveCount") or 0),
    }


def subscription_batch(prefix: str, account: str, *events: dict[str, Any]) -> dict[str, Any]:
    """The subscription event carrying these log events, as CloudWatch Logs invokes the function with it."""
    return encode_logs_data(
        {
            "messageType": "DATA_MESSAGE",
            "owner": account,
            "logGroup": WORKFLOW_STATE_MACHINES.express_log_group_name(prefix),
            "logStream": f"states/express/{uuid.uuid4().hex}",
            "subscriptionFilters": [f"{prefix}-express-execution-events"],
            "logEvents": [
                {"id": str(index), "timestamp": int(event["event_timestamp"]), "message": json.dumps(event)}
                for index, event in enumerate(events)
            ],
        }
    )


def _machine_parts(state_machine_arn: str) -> tuple[str, str, str]:
    """(region, account, machine name) of a machine, version or alias ARN."""
    parts = state_machine_arn.split(":")
    return parts[3], parts[4], parts[6]


def _epoch_milliseconds(moment: Any) -> int:
    return int(moment.timestamp() * 1000) if hasattr(moment, "timestamp") else int(moment)
