"""The local stand-in for EventBridge's Step Functions status-change events.

In the cloud an EventBridge rule delivers "Step Functions Execution Status Change" events to the execution_events
function. Locally this watcher polls the emulation's executions of workflow state machines and, on each status
change, invokes the same function through the local Lambda runtime with an event of the same shape.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from datetime import UTC, datetime
from typing import Any

from shared.catalog import function_physical_name
from shared.local.lambda_runtime import LocalLambdaRuntime
from shared.resources import WORKFLOW_STATE_MACHINES

logger = logging.getLogger("nexus_forge.local")
DETAIL_TYPE = "Step Functions Execution Status Change"
STATUS_FUNCTION = "execution_events"
_NOT_ENDED = {"stopDate": None, "output": None, "error": None, "cause": None}


class ExecutionStatusWatcher:
    def __init__(self, runtime: LocalLambdaRuntime, prefix: str, interval: float = 0.05) -> None:
        self.runtime = runtime
        self.function_name = function_physical_name(prefix, STATUS_FUNCTION)
        self.machine_prefix = WORKFLOW_STATE_MACHINES.physical_name(prefix) + "-"
        self.interval = interval
        self._seen: dict[str, str] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="execution-status-watcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.poll_once()
            except Exception:
                logger.exception("execution status watcher round failed")

    def poll_once(self) -> int:
        """Delivers one event per status change seen since the last round; returns how many it delivered."""
        delivered = 0
        for execution in self._executions():
            status = execution.exec_status.value if execution.exec_status is not None else None
            if status is None or self._seen.get(execution.exec_arn) == status:
                continue
            described = execution.to_describe_output()
            if execution.exec_arn not in self._seen and status != "RUNNING":
                # Step Functions reports RUNNING before any end, even when the end came between two rounds.
                delivered += self._deliver({**described, "status": "RUNNING", **_NOT_ENDED})
            self._seen[execution.exec_arn] = status
            delivered += self._deliver(described)
        return delivered

    def _deliver(self, described: dict[str, Any]) -> int:
        event = status_change_event(described, self.runtime.account, self.runtime.region)
        result = self.runtime.invoke(self.function_name, json.dumps(event).encode())
        if result.get("FunctionError"):
            logger.warning("execution_events failed: %s", result["Payload"].read()[:500])
        return 1

    def _executions(self) -> list[Any]:
        from moto.stepfunctions.responses import get_backend

        backend = get_backend(self.runtime.account, self.runtime.region)
        return [
            execution
            for machine in list(backend.state_machines)
            if machine.name.startswith(self.machine_prefix)
            for execution in list(machine.executions)
        ]


def status_change_event(described: dict[str, Any], account: str, region: str) -> dict[str, Any]:
    """The EventBridge event Step Functions sends for a DescribeExecution-like view of an execution."""
    detail = {
        "executionArn": described["executionArn"],
        "stateMachineArn": described["stateMachineArn"],
        "name": described["name"],
        "status": str(getattr(described["status"], "value", described["status"])),
        "startDate": _epoch_milliseconds(described.get("startDate")),
        "stopDate": _epoch_milliseconds(described.get("stopDate")),
        "input": described.get("input"),
        "output": described.get("output"),
        "inputDetails": {"included": True},
        "outputDetails": {"included": True} if described.get("output") is not None else None,
        "error": described.get("error"),
        "cause": described.get("cause"),
        "redriveCount": described.get("redriveCount", 0),
    }
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": DETAIL_TYPE,
        "source": "aws.states",
        "account": account,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [described["executionArn"]],
        "detail": detail,
    }


def _epoch_milliseconds(moment: Any) -> int | None:
    if moment is None:
        return None
    if isinstance(moment, datetime):
        return int(moment.timestamp() * 1000)
    return int(moment)
