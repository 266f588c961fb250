"""What an execution's `cause` tells a tenant: the error's type and message, never the server's stack trace.

A Lambda function's unhandled error reaches Step Functions as its error payload, which the cloud's Python runtime
fills with `errorType`, `errorMessage` and `stackTrace` (the function's frames, with their file paths); Step
Functions makes the whole payload the cause. Every cause the API records or shows passes through `public_cause`,
which keeps the type, the message and the request id; the trace stays in the function's log, under that id (the
local runtime) or the execution's (the node functions' own log line).
"""

from __future__ import annotations

import json

LAMBDA_ERROR_FIELDS = ("errorType", "errorMessage", "requestId")
_PYTHON_TRACEBACK = "Traceback (most recent call last):"


def public_cause(cause: str | None) -> str | None:
    """The cause without a stack trace: a Lambda error payload keeps its type, message and request id, a traceback its
    last line (`Type: message`); any other cause is the tenant's or Step Functions' own and is kept."""
    if not cause:
        return cause
    if _PYTHON_TRACEBACK in cause:
        return cause.rstrip().rsplit("\n", 1)[-1].strip()
    if "stackTrace" not in cause:
        return cause
    try:
        payload = json.loads(cause)
    except ValueError:
        return cause
    if not isinstance(payload, dict) or "stackTrace" not in payload:
        return cause
    return json.dumps({field: payload[field] for field in LAMBDA_ERROR_FIELDS if field in payload})
