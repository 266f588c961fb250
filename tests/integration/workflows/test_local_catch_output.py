"""Under the local runtime, a caught Lambda-style error reaches the next node without its stack trace and any other
Cause reaches it unchanged, by the compiler's own Catch `Output`."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shared.workflows.compiler import ERROR_OUTPUT
from tests.workflows.support import run

LAMBDA_CAUSE = json.dumps(
    {
        "errorMessage": "connection refused",
        "errorType": "HttpConnectionError",
        "requestId": "0b6e-req",
        "stackTrace": ['  File "/var/task/shared/workflows/http_node.py", line 88, in call\n    raise error\n'],
    }
)


def next_node_input(cause: str) -> Any:
    """What the node on the error port receives when a state fails with `cause` and its Catch routes there."""
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "call",
        "States": {
            "call": {
                "Type": "Parallel",
                "Branches": [
                    {
                        "StartAt": "fail",
                        "States": {"fail": {"Type": "Fail", "Error": "HttpConnectionError", "Cause": cause}},
                    }
                ],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "on_error", "Output": ERROR_OUTPUT}],
                "End": True,
            },
            "on_error": {"Type": "Pass", "Output": "{% $states.input %}", "End": True},
        },
    }
    execution = run(definition, {})
    assert execution["status"] == "SUCCEEDED", execution
    return json.loads(execution["output"])


def test_a_caught_lambda_error_reaches_the_next_node_without_its_stack_trace(emulated_aws: object) -> None:
    received = next_node_input(LAMBDA_CAUSE)
    assert received["Error"] == "HttpConnectionError"
    assert "stackTrace" not in received["Cause"]
    assert json.loads(received["Cause"]) == {
        "errorMessage": "connection refused",
        "errorType": "HttpConnectionError",
        "requestId": "0b6e-req",
    }


@pytest.mark.parametrize("cause", ["upstream answered 503", 'mentions "stackTrace" but is no JSON {'])
def test_a_cause_that_is_no_lambda_error_payload_reaches_the_next_node_unchanged(
    emulated_aws: object, cause: str
) -> None:
    assert next_node_input(cause) == {"Error": "HttpConnectionError", "Cause": cause}
