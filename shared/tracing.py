"""The Powertools tracer, for functions whose downstream AWS calls should appear as X-Ray subsegments."""

from __future__ import annotations

from aws_lambda_powertools import Tracer

tracer = Tracer()
