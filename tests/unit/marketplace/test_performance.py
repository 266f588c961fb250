"""Measured performance's pure parts: the items a version counts for, and durations within 19 % of the truth."""

from __future__ import annotations

from shared.marketplace.performance import percentile
from shared.store.marketplace import bucket_bound, duration_bucket
from shared.workflows.marketplace_items import items_of_workflow


def test_a_version_counts_for_its_template_and_the_items_of_the_presets_its_nodes_use() -> None:
    document = {
        "nodes": [
            {"id": "start", "type": "manual", "params": {}},
            {"id": "ask", "type": "preset", "params": {"preset": "openai.helper.agent", "values": {}}},
            {
                "id": "loop",
                "type": "map",
                "params": {"nodes": [{"type": "preset", "params": {"preset": "pets.api.list"}}]},
            },
            {"id": "again", "type": "preset", "params": {"preset": "openai.helper.agent"}},
        ]
    }

    assert items_of_workflow("acme/greeting", document) == ["acme/greeting", "openai/helper", "pets/api"]
    assert items_of_workflow(None, {"nodes": [{"type": "transform", "params": {}}]}) == []


def test_a_durations_bucket_bound_is_within_19_percent_above_it() -> None:
    for duration_ms in (1, 7, 100, 999, 12_345, 3_600_000):
        bound = bucket_bound(duration_bucket(duration_ms))
        assert duration_ms <= bound <= duration_ms * 1.19 + 1


def test_percentiles_read_the_bucket_where_the_count_reaches_the_fraction() -> None:
    fast, slow = duration_bucket(100), duration_bucket(5_000)
    buckets = {fast: 90.0, slow: 10.0}

    assert percentile(buckets, 0.5) == bucket_bound(fast)
    assert percentile(buckets, 0.95) == bucket_bound(slow)
    assert percentile({}, 0.5) == 0
