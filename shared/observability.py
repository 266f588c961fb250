"""Powertools logger, tracer and metrics for event-driven functions, configured from the catalog's environment."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer()
metrics = Metrics()
