"""An execution's steps, folded from its Step Functions history events: one per entry into a node's state."""

from __future__ import annotations

import json
from typing import Any

from shared.executions.causes import public_cause
from shared.executions.model import ExecutionStep, StepStatus

# Generated helper states are named `<node id>__<suffix>`; the step belongs to the node.
_GENERATED_STATE_SEPARATOR = "__"
_ATTEMPT_EVENTS = ("TaskScheduled", "LambdaFunctionScheduled")


def steps_of(events: list[dict[str, Any]]) -> list[ExecutionStep]:
    """Folds history events into steps: entered → (scheduled attempts, failures) → exited."""
    steps: list[ExecutionStep] = []
    open_steps: list[ExecutionStep] = []
    for event in events:
        kind: str = event["type"]
        if kind.endswith("StateEntered"):
            details = event["stateEnteredEventDetails"]
            state = details["name"]
            step = ExecutionStep(
                node_id=state.split(_GENERATED_STATE_SEPARATOR, 1)[0],
                state=state,
                status=StepStatus.RUNNING,
                attempts=0,
                started_at=event["timestamp"],
                input=_json(details.get("input")),
            )
            steps.append(step)
            open_steps.append(step)
        elif kind.endswith("StateExited") and open_steps:
            details = event["stateExitedEventDetails"]
            exited = _pop_open(open_steps, details["name"])
            if exited is not None:
                exited.status = StepStatus.FAILED if exited.error else StepStatus.SUCCEEDED
                exited.stopped_at = event["timestamp"]
                exited.duration_ms = int((event["timestamp"] - exited.started_at).total_seconds() * 1000)
                exited.output = _json(details.get("output"))
        elif kind in _ATTEMPT_EVENTS and open_steps:
            open_steps[-1].attempts += 1
        elif kind.endswith("Failed") and open_steps and not kind.startswith("Execution"):
            failure: dict[str, Any] = next((value for key, value in event.items() if key.endswith("EventDetails")), {})
            open_steps[-1].error = failure.get("error")
            open_steps[-1].cause = public_cause(failure.get("cause"))
        elif kind.startswith("Execution") and kind != "ExecutionStarted":
            for step in open_steps:
                step.status = StepStatus.FAILED
    for step in steps:
        step.attempts = max(step.attempts, 1)
    return steps


def failed_node(events: list[dict[str, Any]]) -> str | None:
    """The node whose state was running when the execution failed, or that failed last."""
    failed = [step for step in steps_of(events) if step.status == StepStatus.FAILED]
    return failed[-1].node_id if failed else None


def _pop_open(open_steps: list[ExecutionStep], state: str) -> ExecutionStep | None:
    for position in range(len(open_steps) - 1, -1, -1):
        if open_steps[position].state == state:
            return open_steps.pop(position)
    return None


def _json(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text
