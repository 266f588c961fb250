"""Two Step Functions APIs moto's executor lacks, added to the emulation as real API actions, and a stop that reaches
a task waiting for its token.

`StartSyncExecution` (express state machines only): starts the execution in moto's executor like `StartExecution`
(so versions and aliases run what they name), waits for its end and answers with the StartSyncExecution shape:
status SUCCEEDED, FAILED or TIMED_OUT, output, error and cause. Standard machines are refused with
`StateMachineTypeNotSupported`, as Step Functions does. The wait is bounded by express workflows' five minutes.

`RedriveExecution` (standard executions that FAILED, TIMED_OUT or were ABORTED): runs the same execution again from
the top-level state that did not finish, with the input that state entered with and the variables the execution
had, continuing the same history (an `ExecutionRedriven` event, then the re-entered state). The execution keeps its
ARN and start date; `redriveCount` and `redriveDate` appear in DescribeExecution, and so in the local status events.
A state that failed inside a Parallel or Map is re-run as its whole top-level Parallel or Map state: Step Functions
re-runs only the unsuccessful branches or iterations, which moto's executor can't resume (it keeps no per-branch
results). The 14-day redrive window is not checked.

`StopExecution` of an execution whose task waits for its token (`.waitForTaskToken`, e.g. an approval): moto marks
the execution stopped but the waiting task keeps waiting, so the execution stayed RUNNING until the token was
answered or timed out. Step Functions aborts it at once; here the stop also wakes every task of the execution that
waits for a token, and the error the woken task raises no longer turns the stopped execution into a failed one: it
ends ABORTED.
"""

from __future__ import annotations

import datetime
import json
import re
import threading
import uuid
from typing import Any, cast

EXPRESS_MAX_SECONDS = 300.0
SYNC_URL_BASE = r"https?://sync-states\.(.+)\.amazonaws.com"
_REDRIVABLE = ("FAILED", "TIMED_OUT", "ABORTED")
_installed = False


def install_stepfunctions_control() -> None:
    """Idempotent; part of the local Step Functions runtime (after the version starts are installed)."""
    global _installed
    if _installed:
        return
    from moto.core.responses import ActionResult
    from moto.stepfunctions.parser.backend.execution import Execution
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend
    from moto.stepfunctions.responses import StepFunctionResponse

    def start_sync_execution_action(self: Any) -> ActionResult:
        return ActionResult(
            self.stepfunction_backend.start_sync_execution(
                self._get_param("stateMachineArn"), self._get_param("name"), self._get_param("input", if_none="{}")
            )
        )

    def redrive_execution_action(self: Any) -> ActionResult:
        return ActionResult(self.stepfunction_backend.redrive_execution(self._get_param("executionArn")))

    describe_action = StepFunctionResponse.describe_execution
    describe_output = Execution.to_describe_output

    def describe_execution_action(self: Any) -> ActionResult:
        result = describe_action(self)
        execution = self.stepfunction_backend.describe_execution(self._get_param("executionArn"))
        response = result.result
        assert isinstance(response, dict)
        response.update(_redrive_fields(execution))
        return result

    def to_describe_output(self: Any) -> Any:
        described: dict[str, Any] = dict(describe_output(self))
        described.update(_redrive_fields(self))
        return described

    stop = Execution.stop

    def stop_and_wake_token_waits(self: Any, *args: Any, **kwargs: Any) -> None:
        stop(self, *args, **kwargs)
        worker = self.exec_worker
        if worker is not None and worker.env is not None:
            for endpoint in list(worker.env.callback_pool_manager._pool.values()):
                endpoint.interrupt_all()

    _keep_stopped_programs_stopped()
    _answer_the_sync_endpoint()
    StepFunctionResponse.start_sync_execution = start_sync_execution_action  # type: ignore[attr-defined]
    StepFunctionResponse.redrive_execution = redrive_execution_action  # type: ignore[attr-defined]
    StepFunctionResponse.describe_execution = describe_execution_action  # type: ignore[method-assign]
    Execution.to_describe_output = to_describe_output  # type: ignore[method-assign]
    Execution.stop = stop_and_wake_token_waits  # type: ignore[method-assign]
    StepFunctionsParserBackend.start_sync_execution = start_sync_execution  # type: ignore[attr-defined]
    StepFunctionsParserBackend.redrive_execution = redrive_execution  # type: ignore[attr-defined]
    _installed = True


def _keep_stopped_programs_stopped() -> None:
    """A program that was stopped stays stopped: an error or timeout raised while it unwinds doesn't replace it."""
    from moto.stepfunctions.parser.asl.eval.environment import Environment
    from moto.stepfunctions.parser.asl.eval.program_state import ProgramStopped

    for name in ("set_error", "set_timed_out"):
        original = getattr(Environment, name)

        def unless_stopped(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> None:
            if not isinstance(self.program_state(), ProgramStopped):
                _original(self, *args, **kwargs)

        setattr(Environment, name, unless_stopped)


def _answer_the_sync_endpoint() -> None:
    """StartSyncExecution goes to `sync-states.<region>.amazonaws.com` (the operation's host prefix); in-process
    moto (tests) answers only `states.`. forge dev's server is addressed by its loopback URL, without the prefix."""
    from moto import backend_index
    from moto.stepfunctions import urls

    if SYNC_URL_BASE not in urls.url_bases:
        urls.url_bases.append(SYNC_URL_BASE)
        backend_index.backend_url_patterns.append(("stepfunctions", re.compile(SYNC_URL_BASE)))


def _error(code: str, message: str) -> Exception:
    """An error response with Step Functions' code (moto's parser exceptions lose theirs when serialised)."""
    from moto.core.exceptions import AWSError

    return AWSError(message, exception_type=code, status=400)


def _redrive_fields(execution: Any) -> dict[str, Any]:
    count = getattr(execution, "redrive_count", 0)
    fields: dict[str, Any] = {"redriveCount": count}
    if count:
        fields["redriveDate"] = execution.redrive_date
    status = execution.exec_status.value if execution.exec_status is not None else None
    fields["redriveStatus"] = "REDRIVABLE" if status in _REDRIVABLE else "NOT_REDRIVABLE"
    return fields


# -- StartSyncExecution -------------------------------------------------------------------------------------------


def start_sync_execution(
    backend: Any, state_machine_arn: str, name: str | None = None, execution_input: str | None = None
) -> dict[str, Any]:
    if _machine_type(backend, state_machine_arn) != "EXPRESS":
        raise _error("StateMachineTypeNotSupported", "This operation is not supported by this type of state machine")
    execution = backend.start_execution(state_machine_arn, name or uuid.uuid4().hex, execution_input or "{}")
    if not SYNC_EXECUTION_ENDS.wait(execution, EXPRESS_MAX_SECONDS):
        execution.exec_worker.env.set_timed_out()
        SYNC_EXECUTION_ENDS.wait(execution, None)
    described = execution.to_describe_output()
    status = _status(execution)
    response: dict[str, Any] = {
        "executionArn": execution.exec_arn,
        "stateMachineArn": described["stateMachineArn"],
        "name": execution.name,
        "startDate": execution.start_date,
        "stopDate": execution.stop_date,
        # StartSyncExecution knows three ends: an aborted express execution is FAILED.
        "status": status if status in ("SUCCEEDED", "TIMED_OUT") else "FAILED",
        "input": described.get("input"),
        "inputDetails": {"included": True},
        "billingDetails": {
            "billedMemoryUsedInMB": 64,
            "billedDurationInMilliseconds": _billed_milliseconds(execution.start_date, execution.stop_date),
        },
    }
    if status == "SUCCEEDED":
        response["output"] = described.get("output")
        response["outputDetails"] = {"included": True}
    for field in ("error", "cause"):
        if described.get(field) is not None:
            response[field] = described[field]
    return response


class ExecutionEnds:
    """Wakes each StartSyncExecution as its execution ends, told by moto's executor (the execution watcher's hooks).
    It polled the status every 5 ms instead: 32 waits woke the emulation 6,400 times a second, each taking the
    interpreter lock from the executions doing the work."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waits: dict[str, threading.Event] = {}
        self._listening = False

    def wait(self, execution: Any, timeout: float | None) -> bool:
        """Whether `execution` ended within `timeout` seconds (None: however long it takes)."""
        with self._lock:
            if not self._listening:
                from devserver.execution_watcher import listen_to_executions

                listen_to_executions(self._reported)
                self._listening = True
            ended = self._waits.setdefault(execution.exec_arn, threading.Event())
        try:
            # The status is set before the end is reported: an end reported before the wait began is seen here.
            return not _running(execution) or ended.wait(timeout)
        finally:
            with self._lock:
                self._waits.pop(execution.exec_arn, None)

    def _reported(self, execution: Any) -> None:
        if _running(execution):
            return
        with self._lock:
            ended = self._waits.get(execution.exec_arn)
        if ended is not None:
            ended.set()


SYNC_EXECUTION_ENDS = ExecutionEnds()


def _running(execution: Any) -> bool:
    return _status(execution) in (None, "RUNNING")


def _machine_type(backend: Any, arn: str) -> str:
    parts = arn.split(":")
    if len(parts) == 8 and not parts[7].isdigit():  # an alias: the type of the machine it belongs to
        arn = ":".join(parts[:7])
    return str(backend.describe_state_machine(arn).type)


def _status(execution: Any) -> str | None:
    return execution.exec_status.value if execution.exec_status is not None else None


def _billed_milliseconds(started: datetime.datetime, stopped: datetime.datetime | None) -> int:
    elapsed = ((stopped or started) - started).total_seconds() * 1000
    return max(100, int(-(-elapsed // 100) * 100))


# -- RedriveExecution ---------------------------------------------------------------------------------------------


def redrive_execution(backend: Any, execution_arn: str) -> dict[str, Any]:
    execution = backend.describe_execution(execution_arn)
    status = _status(execution)
    if status not in _REDRIVABLE:
        raise _error(
            "ExecutionNotRedrivable", f"Execution {execution_arn} is {status}: only a failed, timed-out or aborted one"
        )
    if str(execution.state_machine.type) != "STANDARD":
        raise _error("ExecutionNotRedrivable", "Express executions can't be redriven")
    previous = execution.exec_worker.env
    resume = _unfinished_state(previous.event_manager.get_event_history(), execution.state_machine.definition)
    if resume is None:
        raise _error("ExecutionNotRedrivable", f"Execution {execution_arn} has no unfinished state to redrive from")
    execution.redrive_count = getattr(execution, "redrive_count", 0) + 1
    execution.redrive_date = datetime.datetime.now(tz=datetime.UTC)
    execution.stop_date = execution.output = execution.error = execution.cause = None
    execution.exec_worker = _redrive_worker(execution, previous, *resume)
    execution.exec_status = type(execution.exec_status).RUNNING
    execution.exec_worker.start()
    from devserver.execution_watcher import report_execution

    report_execution(execution)
    return {"redriveDate": execution.redrive_date}


def _unfinished_state(events: list[dict[str, Any]], definition: str) -> tuple[str, Any] | None:
    """The top-level state entered last and never exited, with the input it entered with."""
    top_level = set(json.loads(definition)["States"])
    open_states: list[tuple[str, Any]] = []
    for event in events:
        kind = str(event["type"])
        if kind.endswith("StateEntered"):
            entered = event["stateEnteredEventDetails"]
            if entered["name"] in top_level:
                open_states.append((entered["name"], json.loads(entered.get("input") or "{}")))
        elif kind.endswith("StateExited"):
            exited = event["stateExitedEventDetails"]["name"]
            open_states = [state for state in open_states if state[0] != exited]
    return open_states[-1] if open_states else None


def _redrive_worker(execution: Any, previous: Any, state_name: str, state_input: Any) -> Any:
    from moto.stepfunctions.parser.api import ExecutionRedrivenEventDetails, HistoryEventType
    from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent
    from moto.stepfunctions.parser.asl.eval.evaluation_details import EvaluationDetails
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
    from moto.stepfunctions.parser.asl.eval.event.event_manager import EventHistoryContext
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    class RedriveExecutionWorker(ExecutionWorker):
        def _execution_logic(self) -> None:
            program: Any = self._get_evaluation_entrypoint()
            env: Any = self._get_evaluation_environment()
            # The same history and variables: the redriven run continues the execution.
            env.event_manager = previous.event_manager
            env.variable_store = previous.variable_store
            last_event_id = len(previous.event_manager.get_event_history())
            env.event_history_context = EventHistoryContext(previous_event_id=last_event_id)
            self.env = env
            env.event_manager.add_event(
                context=env.event_history_context,
                event_type=HistoryEventType.ExecutionRedriven,
                # moto's EventDetails type lacks the key; the history event carries it as Step Functions' does.
                event_details=cast(
                    EventDetails,
                    {
                        "executionRedrivenEventDetails": ExecutionRedrivenEventDetails(
                            redriveCount=execution.redrive_count
                        )
                    },
                ),
            )
            env.states.reset(state_input)
            env.next_state_name = state_name
            timeout = program.timeout_seconds.timeout_seconds if program.timeout_seconds else None
            runner = threading.Thread(target=EvalComponent.eval, args=(program, env), daemon=True)
            runner.start()
            runner.join(timeout=timeout)
            if runner.is_alive():
                env.set_timed_out()
            self._execution_communication.terminated()

    return RedriveExecutionWorker(
        evaluation_details=EvaluationDetails(
            aws_execution_details=execution._get_start_aws_execution_details(),
            execution_details=execution.get_start_execution_details(),
            state_machine_details=execution.get_start_state_machine_details(),
        ),
        exec_comm=execution._get_start_execution_worker_comm(),
        cloud_watch_logging_session=execution._cloud_watch_logging_session,
        activity_store=execution._activity_store,
    )
