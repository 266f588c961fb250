"""The platform table's stream → the marketplace scan: each version a batch inserts as pending, or marks for a rescan
(POST /v1/marketplace/rescans), is scanned and countersigned (approved) or rejected with its report. This is the only
function allowed to countersign. A failed batch is retried whole by the event source mapping;
a version already scanned is skipped, so a batch delivered again scans nothing twice."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.marketplace.publishing import scan_requested, versions_to_scan

logger = Logger()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    # forge dev's start ({"rebuild": true}) has nothing to make again: an unscanned version's record is still queued.
    scanned = 0
    for namespace, name, version in versions_to_scan(event.get("Records", [])):
        status = scan_requested(namespace, name, version)
        if status is not None:
            scanned += 1
            logger.info("version scanned", extra={"item": f"{namespace}/{name}", "version": version, "status": status})
    return {"scanned": scanned}
