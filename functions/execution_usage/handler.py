"""The executions table's stream → the month usage counters (shared/executions/usage_stream.py). A failed batch is
retried by the event source mapping; what an earlier delivery counted is not counted again."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.executions.usage_stream import count_batch

logger = Logger()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    # forge dev's start ({"rebuild": true}) has nothing to make again: an uncounted record is still in the stream.
    counted = count_batch(event.get("Records", []))
    logger.debug("executions counted", extra={"counted": counted})
    return {"counted": counted}
