"""The platform table's stream → the marketplace search index: each item a batch touches is indexed again as the table
has it (a failed batch is retried whole by the event source mapping: reindexing is idempotent). `{"rebuild": true}`
makes the whole index again from the table (forge dev's start; a new cloud index)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.marketplace.search.feed import changed_items, rebuild, reindex

logger = Logger()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    if event.get("rebuild"):
        written, removed = rebuild()
        logger.info("search index rebuilt", extra={"written": written, "removed": removed})
        return {"written": written, "removed": removed}
    items = changed_items(event.get("Records", []))
    written, removed = reindex(items)
    logger.info("search index updated", extra={"items": len(items), "written": written, "removed": removed})
    return {"written": written, "removed": removed}
