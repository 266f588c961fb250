"""A schedule (hourly) → the latest forecasts acted on: quota warnings recorded once per period, provisioned
concurrency of the hot functions scheduled within the daily cost ceiling (shared/forecasts/actions.py)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.forecasts.actions import run_forecast_actions
from shared.settings import get_settings

logger = Logger()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = get_settings()
    report = run_forecast_actions(
        settings.require("bucket_payloads"),
        settings.require("scaled_function_prefix"),
        settings.scaling_max_cost_per_day,
        datetime.now(UTC),
    )
    logger.info("forecasts acted on", extra=asdict(report))
    return asdict(report)
