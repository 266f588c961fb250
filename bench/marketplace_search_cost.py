"""The cloud search engine's cost floor: the marketplace's OpenSearch Serverless collection billed at its minimum
capacity (nothing indexed or searched), with and without standby replicas, for the corpus sizes the marketplace
expects, beside what the vectors need in memory (infra/search_cost.py holds the dated prices and the arithmetic)."""

from __future__ import annotations

from infra.search_cost import PRICES_RECORDED_ON, SOURCES, USD_PER_OCU_HOUR, search_floor, vector_memory_gb
from shared.marketplace.search.embeddings import DIMENSIONS
from shared.settings import MARKETPLACE_EMBEDDING_MODEL

CORPUS_SIZES = (10_000, 100_000, 1_000_000)


def main() -> None:
    dimensions = DIMENSIONS[MARKETPLACE_EMBEDDING_MODEL]
    print(f"prices recorded {PRICES_RECORDED_ON} (us-east-1, ${USD_PER_OCU_HOUR}/OCU-hour): {'; '.join(SOURCES)}")
    print(f"embeddings: {MARKETPLACE_EMBEDDING_MODEL}, {dimensions} dimensions")
    print(
        f"{'items':>9} {'standby':>8} {'index OCU':>9} {'search OCU':>10} {'storage GB':>10} {'vectors GB':>10} "
        f"{'USD/month':>9}"
    )
    for items in CORPUS_SIZES:
        for standby in (True, False):
            floor = search_floor(items, dimensions, standby_replicas=standby)
            print(
                f"{items:>9,} {'on' if standby else 'off':>8} {floor.indexing_ocu:>9.1f} {floor.search_ocu:>10.1f} "
                f"{floor.storage_gb:>10.2f} {vector_memory_gb(items, dimensions):>10.2f} {floor.usd_per_month:>9.2f}"
            )
    print("search OCUs grow (whole ones) once the vectors pass half of the search side's memory (3 GB per OCU)")
