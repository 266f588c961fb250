"""Quality control of the ends the executions table's stream carries (the execution_usage function's batches): the
ends of each workflow observed together, with one read and one conditional write of its watch per batch, then the
findings acted on.

Each end once: the watch remembers the stream position it observed through (in the same conditional write), so a
batch delivered again (the event source mapping retries a failed batch, bisecting it) observes nothing twice, and an
event is recorded, and its actions run, once (its id is a hash of what was found where).

A workflow whose watch could not be read or written (DynamoDB's error, or its state changing under every attempt)
fails the batch once the other workflows' ends are observed: the mapping delivers it again (at most 5 times in the
cloud, until it succeeds under forge dev) and only that workflow's ends are new to their watch. Any other error (of
the detector or an action) is logged and the batch goes on, as the inline path did: a retry would meet it again, and
would hold back the month usage counts of every tenant behind it on the stream.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import PynamoDBException

from shared.executions.statuses import ExecutionStatus
from shared.executions.table_stream import EndedExecution, ended_executions
from shared.quality.service import act_on, observe_ends
from shared.store.tenant_scoped import TenantContext

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger


class EndsNotObserved(Exception):
    """Some workflows' watches could not be written: the batch is to be delivered again."""


def observe_stream_ends(records: Iterable[Mapping[str, Any]], logger: Logger) -> int:
    """Observes the ends in a batch of stream records, workflow by workflow; how many were new to their watch.
    Raises EndsNotObserved, after the others, when a workflow's watch could not be written."""
    groups: dict[tuple[str, str], list[EndedExecution]] = {}
    for end in ended_executions(records):
        # Cancelled executions say nothing about a version's quality.
        if end.record.status != ExecutionStatus.ABORTED.value:
            groups.setdefault((end.tenant.tenant_id, str(end.record.workflow_id)), []).append(end)
    observed, unwritten = 0, []
    for (tenant_id, workflow_id), ends in groups.items():
        logger.append_keys(tenant_id=tenant_id, workflow_id=workflow_id)
        try:
            observed += _observe_workflow(ends[0].tenant, workflow_id, ends, logger)
        except (PynamoDBException, _WatchKeptChanging):
            logger.exception("quality control could not write this workflow's watch; the batch is retried")
            unwritten.append(workflow_id)
        except Exception:  # logged with its traceback; the other workflows' ends go on
            logger.exception("quality control failed for this workflow's ends")
    logger.remove_keys(["tenant_id", "workflow_id"])
    if unwritten:
        raise EndsNotObserved(f"the quality watches of {len(unwritten)} workflow(s) could not be written")
    return observed


class _WatchKeptChanging(Exception):
    pass


def _observe_workflow(tenant: TenantContext, workflow_id: str, ends: list[EndedExecution], logger: Logger) -> int:
    observed = observe_ends(tenant, workflow_id, ends)
    if observed is None:
        raise _WatchKeptChanging(workflow_id)
    for end in observed:
        try:
            act_on(tenant, workflow_id, end, logger)
        except Exception:  # the end is observed: a retry would not act again (its event is recorded)
            logger.exception("quality control failed to act on this execution's findings")
    return len(observed)
