"""The local stand-in for EventBridge's Step Functions status-change events and the express machines' log.

In the cloud an EventBridge rule delivers the "Step Functions Execution Status Change" events of standard machines that
its pattern matches to the execution_events function (the ends, PENDING_REDRIVE and a redrive's RUNNING: a first run's
RUNNING is recorded by its starter; shared/executions/status_rule.py), and an express machine's log group delivers
what its level logs. Locally this watcher follows the emulation's executions of workflow state machines and, on each
status change, invokes the same function through the local Lambda runtime with an event of the same shape: a standard
execution's status change when the rule's pattern matches it (evaluated by moto's EventBridge pattern matcher, as
moto's own rules are), or an express execution's log event as a subscription batch when its machine's level logs it
(devserver/express_logs.py).

moto's executor tells the watcher when an execution starts and when it ends (hooks on its execution start and its
worker's termination), and a redrive reports its restart (devserver/stepfunctions_control.py), so a change is seen at
once. A slower sweep looks again only at the executions last seen running (a change no hook reported, e.g. a stop),
not at every execution ever run, a walk that grew with the session; when the watcher starts it looks at every
execution once (those started before it listened). Events are delivered by a pool of workers in the order they were
queued, one execution's events one after another (so they arrive in order) while many executions' events are applied at
the same time, as EventBridge invokes the function concurrently. Whichever worker is free takes the oldest execution
with an event waiting: with each execution bound to one worker by a hash of its ARN, an end waited behind the
deliveries queued to its worker while others idled (at c=32 a sync delivery's end waited 0.35 s at the median, 1.5 s
at p99).
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from devserver.event_patterns import load_pattern, matches_json_event
from devserver.express_logs import execution_log_event, subscription_batch
from devserver.lambda_runtime import LocalLambdaRuntime
from shared.catalog import function_physical_name
from shared.executions.end_signals import deliver_here
from shared.executions.status_rule import STATUS_CHANGE_DETAIL_TYPE, STATUS_CHANGE_SOURCE, workflow_status_pattern
from shared.resources import WORKFLOW_STATE_MACHINES

logger = logging.getLogger("nexus_forge.local")
STATUS_FUNCTION = "execution_events"
_NOT_ENDED = {"stopDate": None, "output": None, "error": None, "cause": None}
DEFAULT_WORKERS = 8
# Executions reported by a hook are looked at at once; the sweep over every execution runs this often.
SWEEP_SECONDS = 0.5

_listeners: list[Callable[[Any], None]] = []
_hooks_installed = False
_hooks_lock = threading.Lock()


def _install_execution_hooks() -> None:
    """Idempotent: moto's executions report their start and their end to the registered listeners."""
    global _hooks_installed
    with _hooks_lock:
        if _hooks_installed:
            return
        from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication, Execution

        start = Execution.start
        terminated = BaseExecutionWorkerCommunication.terminated

        def start_and_report(self: Any) -> None:
            start(self)
            _report(self)

        def terminated_and_report(self: Any) -> None:
            terminated(self)
            _report(self.execution)

        Execution.start = start_and_report  # type: ignore[method-assign]
        BaseExecutionWorkerCommunication.terminated = terminated_and_report  # type: ignore[method-assign]
        _hooks_installed = True


def listen_to_executions(listener: Callable[[Any], None]) -> None:
    """Calls `listener` with each of moto's executions when it starts and when it ends (after its status is set)."""
    _install_execution_hooks()
    _listeners.append(listener)


def report_execution(execution: Any) -> None:
    """Tells the watchers an execution changed in a way their hooks do not see (a redrive's restart)."""
    _report(execution)


def _report(execution: Any) -> None:
    for listener in list(_listeners):
        try:
            listener(execution)
        except Exception:  # a watcher's failure must not fail the execution that reported to it
            logger.exception("execution status listener failed")


class ExecutionStatusWatcher:
    def __init__(
        self,
        runtime: LocalLambdaRuntime,
        prefix: str,
        interval: float = SWEEP_SECONDS,
        workers: int = DEFAULT_WORKERS,
    ) -> None:
        self.runtime = runtime
        self.prefix = prefix
        self.function_name = function_physical_name(prefix, STATUS_FUNCTION)
        self.machine_prefix = WORKFLOW_STATE_MACHINES.physical_name(prefix) + "-"
        # The workflow status rule's pattern, parsed as moto parses a rule's.
        self.status_rule = load_pattern(
            workflow_status_pattern(WORKFLOW_STATE_MACHINES.arn_prefix(prefix, runtime.account, runtime.region))
        )
        self.interval = interval
        # Execution ARN → (status, redrive count) last delivered.
        self._seen: dict[str, tuple[str, int]] = {}
        # Executions last seen running, by ARN: what the sweep looks at again.
        self._running: dict[str, Any] = {}
        self._swept_all = False
        self._reported: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._workers = workers
        # Executions with events to deliver, oldest first (None stops a worker); each execution's events, in order,
        # kept here from its first queued event until a worker has delivered its last.
        self._ready: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._pending: dict[str, deque[dict[str, Any]]] = {}
        self._pending_lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        listen_to_executions(self._reported.put)
        self._threads = [threading.Thread(target=self._run, name="execution-status-watcher", daemon=True)]
        self._threads += [
            threading.Thread(target=self._deliver_ready, name=f"execution-status-{index}", daemon=True)
            for index in range(self._workers)
        ]
        for thread in self._threads:
            thread.start()
        # The status path now runs in this process: sync waits here are woken by it (shared/executions/end_signals.py).
        deliver_here()

    def stop(self) -> None:
        deliver_here(False)
        if self._reported.put in _listeners:
            _listeners.remove(self._reported.put)
        self._stop.set()
        self._reported.put(None)
        for _ in range(self._workers):
            self._ready.put(None)
        for thread in self._threads:
            thread.join(timeout=5)

    def _run(self) -> None:
        next_sweep = 0.0
        while not self._stop.is_set():
            try:
                reported = self._reported.get(timeout=max(0.0, next_sweep - time.monotonic()))
            except queue.Empty:
                reported = None
            try:
                if reported is not None:
                    self._look_at(reported)
                if time.monotonic() >= next_sweep:
                    self.poll_once()
                    next_sweep = time.monotonic() + self.interval
            except Exception:
                logger.exception("execution status watcher round failed")

    def poll_once(self) -> int:
        """Queues one event per status change since it was last looked at of the executions last seen running (the
        first time, of every workflow execution); returns how many it queued."""
        if not self._swept_all:
            self._swept_all = True
            return sum(self._look_at(execution) for execution in self._executions())
        return sum(self._look_at(execution) for execution in list(self._running.values()))

    def _look_at(self, execution: Any) -> int:
        """Queues the events of a change of this execution not delivered yet (RUNNING first, as Step Functions
        reports it before any end, even one that came before the watcher looked); returns how many."""
        if not _machine_name(execution.exec_arn).startswith(self.machine_prefix):
            return 0
        status = execution.exec_status.value if execution.exec_status is not None else None
        if status is None:
            return 0
        redrives = int(getattr(execution, "redrive_count", 0) or 0)
        if status == "RUNNING":
            self._running[execution.exec_arn] = execution
        else:
            self._running.pop(execution.exec_arn, None)
        seen = self._seen.get(execution.exec_arn)
        if seen == (status, redrives):
            return 0
        described = dict(execution.to_describe_output())
        described.setdefault("redriveCount", redrives)
        self._seen[execution.exec_arn] = (status, redrives)
        queued = 0
        if status != "RUNNING" and (seen is None or seen[1] != redrives):
            self._queue({**described, "status": "RUNNING", **_NOT_ENDED})
            queued += 1
        self._queue(described)
        return queued + 1

    def _queue(self, described: dict[str, Any]) -> None:
        arn = str(described["executionArn"])
        with self._pending_lock:
            waiting = self._pending.get(arn)
            if waiting is not None:  # a worker has it or will take it: the event follows the execution's others
                waiting.append(described)
                return
            self._pending[arn] = deque([described])
        self._ready.put(arn)

    def _deliver_ready(self) -> None:
        while (arn := self._ready.get()) is not None:
            while True:
                with self._pending_lock:
                    waiting = self._pending[arn]
                    if not waiting:
                        del self._pending[arn]
                        break
                    described = waiting.popleft()
                try:
                    self._deliver(described)
                except Exception:
                    logger.exception("execution status delivery failed")

    def _deliver(self, described: dict[str, Any]) -> int:
        logging = self._express_logging(str(described["executionArn"]))
        if logging is None:
            event = status_change_event(described, self.runtime.account, self.runtime.region)
            if not self.rule_matches(event):
                return 0
        else:
            # An express machine reports only to its log, and only what its level logs (devserver/express_logs.py).
            logged = execution_log_event(described, logging)
            if logged is None:
                return 0
            event = subscription_batch(self.prefix, self.runtime.account, logged)
        result = self.runtime.invoke(self.function_name, json.dumps(event).encode())
        if result.get("FunctionError"):
            logger.warning("execution_events failed: %s", result["Payload"].read()[:500])
        return 1

    def rule_matches(self, event: dict[str, Any]) -> bool:
        """Whether the workflow status rule delivers this status change event (`status_change_event`'s: JSON's types
        only), as moto's matcher decides it, less its copy of the event through JSON (devserver/event_patterns.py)."""
        return matches_json_event((self.status_rule,), event)

    def _express_logging(self, execution_arn: str) -> dict[str, Any] | None:
        """The logging configuration of the execution's machine if it is an express machine (as it is now: a publish
        updates it), else None."""
        from moto.stepfunctions.responses import get_backend

        parts = execution_arn.split(":")
        machine_arn = f"arn:aws:states:{parts[3]}:{parts[4]}:stateMachine:{_machine_name(execution_arn)}"
        backend = get_backend(self.runtime.account, self.runtime.region)
        machine = next((each for each in list(backend.state_machines) if each.arn == machine_arn), None)
        if machine is None or machine.type != "EXPRESS":
            return None
        return dict(machine.loggingConfiguration)

    def _executions(self) -> list[Any]:
        from moto.stepfunctions.responses import get_backend

        backend = get_backend(self.runtime.account, self.runtime.region)
        return [
            execution
            for machine in list(backend.state_machines)
            if machine.name.startswith(self.machine_prefix)
            for execution in list(machine.executions)
        ]


def _machine_name(execution_arn: str) -> str:
    """`arn:aws:states:<region>:<account>:execution:<state machine>:<name>` → the state machine's name."""
    parts = execution_arn.split(":")
    return parts[6] if len(parts) > 7 else ""


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
        "detail-type": STATUS_CHANGE_DETAIL_TYPE,
        "source": STATUS_CHANGE_SOURCE,
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
