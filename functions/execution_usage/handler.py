"""The executions table's stream → the month usage counters (its inserts: shared/executions/table_stream.py) and
quality control of the executions it ends (shared/quality/stream.py). A failed batch is retried by the event source
mapping; what an earlier delivery counted or observed is not counted or observed again."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.executions.table_stream import count_batch
from shared.quality.stream import observe_stream_ends

logger = Logger()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    # forge dev's start ({"rebuild": true}) has nothing to make again: an unhandled record is still in the stream.
    records = event.get("Records", [])
    counted = count_batch(records)
    observed = observe_stream_ends(records, logger)
    logger.debug("executions counted and ends observed", extra={"counted": counted, "observed": observed})
    return {"counted": counted, "observed": observed}
