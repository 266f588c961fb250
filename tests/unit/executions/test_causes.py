"""Causes tenants read carry an error's type and message, never a stack trace."""

from __future__ import annotations

import json

from shared.executions.causes import public_cause

CLOUD_LAMBDA_ERROR = json.dumps(
    {
        "errorMessage": "request to api.example.com failed: timed out",
        "errorType": "HttpConnectionError",
        "requestId": "6f1c…",
        "stackTrace": ['  File "/var/task/shared/workflows/http_node.py", line 170, in make_request\n    raise …\n'],
    }
)


def test_a_lambda_error_payload_keeps_its_type_message_and_request_id() -> None:
    assert json.loads(public_cause(CLOUD_LAMBDA_ERROR) or "") == {
        "errorType": "HttpConnectionError",
        "errorMessage": "request to api.example.com failed: timed out",
        "requestId": "6f1c…",
    }


def test_a_python_traceback_keeps_its_last_line() -> None:
    trace = "Traceback (most recent call last):\n  File \"/opt/forge/shared/x.py\", line 3, in f\nKeyError: 'id'\n"
    assert public_cause(trace) == "KeyError: 'id'"


def test_other_causes_are_kept_as_they_are() -> None:
    approval = json.dumps({"approval": {"decision": "rejected", "comment": "my stackTrace notes"}})
    for cause in ("the explode node always fails", approval, None, ""):
        assert public_cause(cause) == cause
