"""The ML state machines' evaluation gate: {kind, job_name, metrics} → {accepted, reason, metadata}."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.ml.evaluation import evaluate_candidate

logger = Logger()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    verdict = evaluate_candidate(event["kind"], event["job_name"], event.get("metrics") or [])
    logger.info("model evaluated", extra={"job_name": event["job_name"], "accepted": verdict["accepted"]})
    return verdict
