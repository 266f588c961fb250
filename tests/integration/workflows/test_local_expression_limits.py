"""forge dev bounds every JSONata evaluation: a runaway expression fails its state with States.QueryEvaluationError
naming the limit, a stop ends its work, and while it runs the platform answers other requests."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from fastapi.testclient import TestClient

from devserver import stepfunctions_expressions
from devserver.stepfunctions_expressions import ExpressionLimits
from tests.integration.tenancy.conftest import api
from tests.integration.workflows.test_local_jsonata import machine
from tests.workflows.support import PLACEMENT, create_state_machine, run, start, wait_for_end

__all__ = ["api"]

TAIL_RECURSION = "($f := function($n){ $f($n + 1) }; $f(0))"
DEEP_RECURSION = "($f := function($n){ $n > 1000000 ? 0 : 1 + $f($n + 1) }; $f(0))"
# Overlapping alternation under a star: exponential backtracking in every backtracking engine.
BACKTRACKING_MATCH = "$match($states.input.text, /(a|a)*$/)"
# About 9 s in Python's re (which held the GIL throughout), far longer in the regex module.
BACKTRACKING_TEXT = "a" * 25 + "b"
# Long enough that a run the test does not end itself is still running when the test looks at it.
LONG = ExpressionLimits(seconds=60)


def transforming(expression: str) -> dict[str, Any]:
    return machine({"shape": {"Type": "Pass", "Output": "{% " + expression + " %}", "End": True}}, "shape")


def limited(monkeypatch: pytest.MonkeyPatch, limits: ExpressionLimits) -> None:
    monkeypatch.setattr(stepfunctions_expressions, "LIMITS", limits)


@dataclass
class Evaluations:
    """Signals from the runtime's JSONata evaluator: one has started, one has ended (and how)."""

    started: threading.Event = field(default_factory=threading.Event)
    ended: threading.Event = field(default_factory=threading.Event)
    errors: list[str] = field(default_factory=list)


@pytest.fixture
def evaluations(emulated_aws: object, monkeypatch: pytest.MonkeyPatch) -> Iterator[Evaluations]:
    from moto.stepfunctions.parser.asl.jsonata import jsonata

    seen = Evaluations()
    evaluate = jsonata._eval_jsonata
    assert evaluate is not None

    def observed(expression: str) -> Any:
        seen.started.set()
        try:
            return evaluate(expression)
        except Exception as error:
            seen.errors.append(type(error).__name__)
            raise
        finally:
            seen.ended.set()

    monkeypatch.setattr(jsonata, "_eval_jsonata", observed)
    yield seen


def history_types(execution_arn: str) -> list[str]:
    sfn = boto3.client("stepfunctions", region_name=PLACEMENT.region)
    return [event["type"] for event in sfn.get_execution_history(executionArn=execution_arn)["events"]]


def test_a_function_that_recurses_for_ever_fails_its_state_at_the_time_limit(
    emulated_aws: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    limited(monkeypatch, ExpressionLimits(seconds=0.5))

    execution = run(transforming(TAIL_RECURSION), {})

    assert (execution["status"], execution["error"]) == ("FAILED", "States.QueryEvaluationError")
    assert "ran longer than the limit of 0.5 seconds" in execution["cause"]
    assert "EvaluationFailed" in history_types(execution["executionArn"])


def test_a_recursion_too_deep_fails_its_state_at_the_depth_limit(
    emulated_aws: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    limited(monkeypatch, ExpressionLimits(seconds=60, depth=300))

    execution = run(transforming(DEEP_RECURSION), {})

    assert (execution["status"], execution["error"]) == ("FAILED", "States.QueryEvaluationError")
    assert "nested deeper than the limit of 300 levels" in execution["cause"]


def test_a_large_input_counts_for_little_of_an_expression_s_time(
    emulated_aws: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Written into the expression's text, these 20,000 items took jsonata-python about 5 s to parse and build.
    limited(monkeypatch, ExpressionLimits(seconds=2))
    items = list(range(20_000))

    execution = run(
        transforming("{'count': $count($states.input.items), 'last': $states.input.items[-1]}"), {"items": items}
    )

    assert execution["status"] == "SUCCEEDED", execution
    assert json.loads(execution["output"]) == {"count": 20_000, "last": 19_999}


def test_the_platform_answers_while_an_expression_runs_and_a_stop_ends_its_work(
    api: TestClient, evaluations: Evaluations, monkeypatch: pytest.MonkeyPatch
) -> None:
    limited(monkeypatch, LONG)
    sfn = boto3.client("stepfunctions", region_name=PLACEMENT.region)
    execution_arn = start(create_state_machine(transforming(TAIL_RECURSION)), {})
    assert evaluations.started.wait(timeout=30)

    health = api.get("/v1/health")

    assert health.status_code == 200
    assert not evaluations.ended.is_set()
    assert sfn.describe_execution(executionArn=execution_arn)["status"] == "RUNNING"

    sfn.stop_execution(executionArn=execution_arn, error="Cancelled", cause="by the test")

    assert wait_for_end(execution_arn)["status"] == "ABORTED"
    # The evaluation itself ends with the execution, long before its time limit.
    assert evaluations.ended.wait(timeout=LONG.seconds / 2)
    assert evaluations.errors == ["EvaluationStopped"]


def test_a_backtracking_regular_expression_holds_up_no_other_request_and_fails_at_the_time_limit(
    api: TestClient, evaluations: Evaluations, monkeypatch: pytest.MonkeyPatch
) -> None:
    limited(monkeypatch, ExpressionLimits(seconds=3))
    execution_arn = start(create_state_machine(transforming(BACKTRACKING_MATCH)), {"text": BACKTRACKING_TEXT})
    assert evaluations.started.wait(timeout=30)

    health = api.get("/v1/health")

    assert health.status_code == 200
    assert not evaluations.ended.is_set()
    execution = wait_for_end(execution_arn)
    assert (execution["status"], execution["error"]) == ("FAILED", "States.QueryEvaluationError")
    assert "a regular expression ran longer than the limit of 3 seconds" in execution["cause"]


def test_a_regular_expression_kept_from_an_earlier_evaluation_matches_within_the_time_of_the_one_running_it(
    emulated_aws: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    limited(monkeypatch, ExpressionLimits(seconds=0.5))
    definition = transforming(BACKTRACKING_MATCH)
    assert run(definition, {"text": "aab"})["status"] == "SUCCEEDED"

    # Outlives the first evaluation's time limit, and fails at its own.
    backtracking = run(definition, {"text": BACKTRACKING_TEXT})
    short = run(definition, {"text": "aab"})

    assert (backtracking["status"], backtracking["error"]) == ("FAILED", "States.QueryEvaluationError")
    assert "a regular expression ran longer than the limit of 0.5 seconds" in backtracking["cause"]
    assert short["status"] == "SUCCEEDED", short
