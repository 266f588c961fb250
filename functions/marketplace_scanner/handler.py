"""The platform table's stream → the marketplace scan: each version a batch inserts as pending, or marks for a rescan
(POST /v1/marketplace/rescans), is scanned and countersigned (approved) or rejected with its report. This is the only
function allowed to countersign. A failed batch is retried whole by the event source mapping;
a version already scanned is skipped, so a batch delivered again scans nothing twice. On its schedule it sweeps: each
version still pending a quarter of an hour after its publish (the mapping gave up on its batch) is marked again."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.marketplace.publishing import requeue_stale_pending, scan_requested, versions_to_scan

logger = Logger()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    if event.get("detail-type") == "Scheduled Event":
        requeued = requeue_stale_pending(datetime.now(UTC))
        for namespace, name, version in requeued:
            logger.warning("pending version requeued", extra={"item": f"{namespace}/{name}", "version": version})
        return {"requeued": len(requeued)}
    # forge dev's start ({"rebuild": true}) has nothing to make again: an unscanned version's record is still queued.
    scanned = 0
    for namespace, name, version in versions_to_scan(event.get("Records", [])):
        status = scan_requested(namespace, name, version)
        if status is not None:
            scanned += 1
            logger.info("version scanned", extra={"item": f"{namespace}/{name}", "version": version, "status": status})
    return {"scanned": scanned}
