"""The training-data export: execution records → per-tenant and per-workflow hourly series in the platform bucket.

One CSV object per tenant and hour, `ml/series/tenant=<id>/date=YYYY-MM-DD/hour=HH.csv`, in the forecast job's
format (`series,timestamp,value`), so SageMaker reads a tenant's prefix, or all of `ml/series/`, as a channel. A
re-run of an hour rewrites the same objects with the same rows. The series of a tenant are named after it
(`<tenant>:<metric>`, `<tenant>:<workflow>:<metric>`) and written under its own prefix only. The tenant's series and
those of its live workflows have a row in every hour, zero counts when nothing ran: a forecast sees a quiet hour as
quiet, not missing.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from shared.aws import s3
from shared.executions.statuses import ENDED_BADLY
from shared.ml.plans import SERIES_PREFIX, transform_requests_prefix
from shared.store.context import TenantContext
from shared.store.executions import Executions
from shared.store.tenancy import every_tenant
from shared.store.workflows import Workflows

METRICS = ("executions", "failures", "p50_duration_ms", "p95_duration_ms", "tokens")
_PAGE = 200


@dataclass(frozen=True)
class ExecutionFacts:
    """What the export reads of one execution record."""

    workflow_id: str
    status: str
    duration_ms: float | None
    tokens: int


def hour_of(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def tenant_series_prefix(tenant_id: str) -> str:
    return f"{SERIES_PREFIX}/tenant={tenant_id}/"


def series_key(tenant_id: str, hour: datetime) -> str:
    return f"{tenant_series_prefix(tenant_id)}date={hour:%Y-%m-%d}/hour={hour:%H}.csv"


def hourly_rows(
    tenant_id: str, hour: datetime, executions: Iterable[ExecutionFacts], live_workflows: Iterable[str] = ()
) -> list[tuple[str, str, float]]:
    """(series, timestamp, value) rows of one tenant's hour: the tenant's totals and each live workflow's always
    (zero counts in an hour without runs, so a forecast sees the quiet hours: the series have no gaps), each other
    workflow that ran its own. An hour without runs has no duration to measure: no percentile rows."""
    by_workflow: dict[str, list[ExecutionFacts]] = {workflow_id: [] for workflow_id in live_workflows}
    everything: list[ExecutionFacts] = []
    for facts in executions:
        by_workflow.setdefault(facts.workflow_id, []).append(facts)
        everything.append(facts)
    timestamp = hour.strftime("%Y-%m-%dT%H:%M:%SZ")
    rows = [(f"{tenant_id}:{metric}", timestamp, value) for metric, value in _measures(everything).items()]
    for workflow_id in sorted(by_workflow):
        measures = _measures(by_workflow[workflow_id])
        rows += [(f"{tenant_id}:{workflow_id}:{metric}", timestamp, value) for metric, value in measures.items()]
    return rows


def export_hour(bucket: str, hour: datetime) -> dict[str, int]:
    """Writes every tenant's series of the hour (and the forecast's transform requests, each for the whole horizon the
    model was trained for); tenant id → rows written."""
    hour = hour_of(hour)
    written = {}
    for tenant_id in _tenant_ids():
        rows = hourly_rows(tenant_id, hour, _executions_started_in(tenant_id, hour), _live_workflow_ids(tenant_id))
        s3.put_object(bucket, series_key(tenant_id, hour), _csv(rows), "text/csv")
        requests = "".join(
            json.dumps({"series": series}) + "\n" for series in sorted({series for series, _, _ in rows})
        )
        s3.put_object(
            bucket, f"{transform_requests_prefix('forecast')}tenant={tenant_id}.jsonl", requests.encode(), "text/plain"
        )
        written[tenant_id] = len(rows)
    return written


def _measures(executions: list[ExecutionFacts]) -> dict[str, float]:
    measures = {
        "executions": float(len(executions)),
        "failures": float(sum(1 for facts in executions if facts.status in ENDED_BADLY)),
        "tokens": float(sum(facts.tokens for facts in executions)),
    }
    durations = sorted(facts.duration_ms for facts in executions if facts.duration_ms is not None)
    if durations:
        measures["p50_duration_ms"] = _percentile(durations, 0.5)
        measures["p95_duration_ms"] = _percentile(durations, 0.95)
    return {metric: measures[metric] for metric in METRICS if metric in measures}


def _percentile(ordered: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    return float(ordered[max(0, math.ceil(fraction * len(ordered)) - 1)])


def _csv(rows: list[tuple[str, str, float]]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(("series", "timestamp", "value"))
    writer.writerows(rows)
    return text.getvalue().encode()


def _tenant_ids() -> Iterator[str]:
    return (str(item.tenant_id) for item in every_tenant())


def _live_workflow_ids(tenant_id: str) -> list[str]:
    """The workflows that can run: those with a live version."""
    workflows = Workflows(TenantContext(tenant_id))
    return [workflow.workflow_id for workflow in workflows.all_matching(Workflows.model.live_version.exists())]


def _executions_started_in(tenant_id: str, hour: datetime) -> Iterator[ExecutionFacts]:
    repository = Executions(TenantContext(tenant_id))
    cursor: str | None = None
    end = hour + timedelta(hours=1) - timedelta(milliseconds=1)
    while True:
        page = repository.search(limit=_PAGE, cursor=cursor, started_after=hour, started_before=end)
        for item in page.items:
            yield ExecutionFacts(
                workflow_id=item.workflow_id,
                status=item.status,
                duration_ms=item.duration_ms,
                tokens=int((item.input_tokens or 0) + (item.output_tokens or 0)),
            )
        cursor = page.next_cursor
        if cursor is None:
            return
