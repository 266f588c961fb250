"""Measured performance of marketplace items: what opted-in tenants' executions of installed items add up to.

What is counted and how (shared/workflows/marketplace_items.py names a version's items, the start copies them onto an
opted-in tenant's execution record, the end's transaction adds to shared/store/marketplace.py's counters) is in
docs/marketplace.md, "Measured performance".

An item shows its aggregate only once at least MIN_TENANTS tenants contribute; no single tenant's numbers are shown.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from shared.store.marketplace import DURATION_BUCKET_PREFIX, bucket_bound, item_performance_records

MIN_TENANTS = 5


class ItemPerformance(BaseModel):
    tenants: int = Field(description="Tenants whose executions are counted (at least 5)")
    executions: int
    success_rate: float = Field(description="Succeeded executions / ended executions, 0 to 1")
    p50_ms: int = Field(description="Median duration, to within 19 %")
    p95_ms: int = Field(description="95th percentile duration, to within 19 %")
    tokens_per_run: float = Field(description="Model tokens (input and output) per execution")


def percentile(buckets: dict[int, float], fraction: float) -> int:
    wanted = fraction * sum(buckets.values())
    seen = 0.0
    for bucket in sorted(buckets):
        seen += buckets[bucket]
        if seen >= wanted:
            return bucket_bound(bucket)
    return 0


def item_performance(namespace: str, name: str) -> tuple[ItemPerformance | None, str | None]:
    """(the aggregate, None) over at least MIN_TENANTS contributing tenants, else (None, why it is not shown)."""
    records = [record for record in item_performance_records(namespace, name) if record.get("executions", 0) > 0]
    if len(records) < MIN_TENANTS:
        return None, f"Shown once at least {MIN_TENANTS} tenants that share their performance have run the item"
    executions = sum(record["executions"] for record in records)
    buckets: dict[int, float] = {}
    for record in records:
        for attribute, count in record.items():
            if attribute.startswith(DURATION_BUCKET_PREFIX) and attribute[1:].isdigit():
                buckets[int(attribute[1:])] = buckets.get(int(attribute[1:]), 0) + count
    return (
        ItemPerformance(
            tenants=len(records),
            executions=int(executions),
            success_rate=round(sum(record.get("successes", 0) for record in records) / executions, 4),
            p50_ms=percentile(buckets, 0.5),
            p95_ms=percentile(buckets, 0.95),
            tokens_per_run=round(sum(record.get("tokens", 0) for record in records) / executions, 1),
        ),
        None,
    )
