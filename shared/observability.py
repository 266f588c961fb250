"""Powertools logger and EMF metrics for event-driven functions, configured from the catalog's environment.

Tracing: every function runs with X-Ray active tracing, which records each invocation without an SDK (the X-Ray
SDK, for subsegments, would cost about 0.4 s of cold start).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics

logger = Logger()
metrics = Metrics()

HandlerT = TypeVar("HandlerT", bound=Callable[..., Any])


def log_failures(handler: HandlerT) -> HandlerT:
    """Logs a node function's error with its trace and the invocation's correlation id before Lambda reports it.

    Step Functions makes Lambda's error payload the task's cause; what tenants read of it is the error's type and
    message (shared/executions/causes.py), so the trace an operator needs is here, under the same correlation id."""

    @functools.wraps(handler)
    def logged(*args: Any, **kwargs: Any) -> Any:
        try:
            return handler(*args, **kwargs)
        except Exception:
            logger.exception("the function failed")
            raise

    return logged  # type: ignore[return-value]
