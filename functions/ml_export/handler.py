"""A schedule (EventBridge rule, hourly) → the last full hour's execution records exported as hourly series; an
event naming `hour` (ISO 8601) exports that hour again, rewriting the same objects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.ml.series import export_hour
from shared.settings import get_settings

logger = Logger()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    requested = event.get("hour")
    hour = datetime.fromisoformat(requested) if requested else datetime.now(UTC) - timedelta(hours=1)
    written = export_hour(get_settings().require("bucket_payloads"), hour)
    logger.info("series exported", extra={"hour": hour.isoformat(), "tenants": len(written)})
    return {"hour": hour.isoformat(), "rows_by_tenant": written}
