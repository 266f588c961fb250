"""Powertools logger and EMF metrics for event-driven functions, configured from the catalog's environment.

Tracing: every function runs with X-Ray active tracing, which records each invocation without an SDK (the X-Ray
SDK, for subsegments, would cost about 0.4 s of cold start).
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics

logger = Logger()
metrics = Metrics()
