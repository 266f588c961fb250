"""A caught error reaches the next node with its Cause stripped of a Lambda error's stack trace, as the
execution's recorded cause is; any other Cause passes unchanged."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jsonata import Jsonata  # type: ignore[import-untyped]

from shared.executions.causes import public_cause
from shared.workflows.compiler import CONTINUE_OUTPUT, ERROR_OUTPUT
from tests.workflows.cases import GOLDEN_CASES
from tests.workflows.support import compile_case

LAMBDA_CAUSE = json.dumps(
    {
        "errorMessage": 'upstream said "no"',
        "errorType": "HttpRequestFailed",
        "requestId": "4f1c-req",
        "stackTrace": ['  File "/var/task/shared/workflows/http_node.py", line 88, in call\n    raise error\n'],
    }
)


def caught(output: str, error_output: dict[str, Any]) -> Any:
    """The Catch `Output` as Step Functions' JSONata evaluates it, `$parse` deserialising JSON as AWS documents."""
    compiled = Jsonata(output.removeprefix("{% ").removesuffix(" %}"))
    compiled.register_lambda("parse", json.loads)
    return compiled.evaluate(None, {"states": {"input": {"a": 1}, "errorOutput": error_output}})


def catch_outputs(case_name: str) -> list[str]:
    case = next(case for case in GOLDEN_CASES if case.name == case_name)
    return [rule["Output"] for state in compile_case(case)["States"].values() for rule in state.get("Catch", [])]


def test_the_error_port_and_continue_catches_use_the_stripping_output() -> None:
    assert catch_outputs("error_output") == [ERROR_OUTPUT]
    assert catch_outputs("retry_continue_timeout") == [CONTINUE_OUTPUT]


def test_a_lambda_error_reaches_the_next_node_without_its_stack_trace() -> None:
    output = caught(ERROR_OUTPUT, {"Error": "HttpRequestFailed", "Cause": LAMBDA_CAUSE})
    assert output["Error"] == "HttpRequestFailed"
    assert "stackTrace" not in output["Cause"]
    assert json.loads(output["Cause"]) == json.loads(str(public_cause(LAMBDA_CAUSE)))
    assert caught(CONTINUE_OUTPUT, {"Error": "E", "Cause": LAMBDA_CAUSE})["error"]["Cause"] == output["Cause"]


@pytest.mark.parametrize(
    "cause",
    [
        "HTTP 503 from api.example.test",
        'not JSON but mentions "stackTrace" {',
        '{"stackTrace": [1, 2]}',
        '{"errorMessage": "bad \\q escape", "stackTrace": []}',
        "",
    ],
)
def test_any_other_cause_passes_unchanged(cause: str) -> None:
    assert caught(ERROR_OUTPUT, {"Error": "States.TaskFailed", "Cause": cause}) == {
        "Error": "States.TaskFailed",
        "Cause": cause,
    }


def test_an_error_without_a_cause_keeps_its_error() -> None:
    assert caught(ERROR_OUTPUT, {"Error": "States.Timeout"}) == {"Error": "States.Timeout"}
