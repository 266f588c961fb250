"""The marketplace search collection's cost floor: half an OCU for indexing and half for search, doubled by standby
replicas, more search OCUs only once the vectors outgrow its memory; storage is cents."""

from __future__ import annotations

import pytest

from infra.search_cost import search_floor


@pytest.mark.parametrize(("standby", "usd"), [(True, 350.40), (False, 175.20)])
def test_ten_thousand_listings_cost_the_minimum_capacity(standby: bool, usd: float) -> None:
    floor = search_floor(10_000, 1024, standby_replicas=standby)

    assert floor.compute_usd_per_month == pytest.approx(usd)
    assert floor.storage_usd_per_month < 0.01


def test_a_million_listings_need_more_search_capacity_for_their_vectors() -> None:
    floor = search_floor(1_000_000, 1024, standby_replicas=True)

    assert (floor.indexing_ocu, floor.search_ocu) == (1.0, 4.0)
