"""The marketplace search collection's cost floor (infra/constructs/marketplace_search.py): what OpenSearch
Serverless bills with no query and no write, by its minimum capacity, and what the stored index adds.

Prices: us-east-1 list prices recorded on 2026-12-06 from the pages named beside each (without network access to
re-check them that day: check a page before quoting a figure).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

PRICES_RECORDED_ON = "2026-12-06"
# "Amazon OpenSearch Service pricing" (aws.amazon.com/opensearch-service/pricing/), Serverless, as restated with
# US East rates "as of March 2026" by cloudburn.io/blog/amazon-opensearch-pricing and awsnegotiations.com
# (Feb 2026): $0.24 per OCU-hour, indexing and search alike; managed storage $0.024 per GB-month.
USD_PER_OCU_HOUR = 0.24
USD_PER_GB_MONTH = 0.024
HOURS_PER_MONTH = 730
# "Amazon OpenSearch Serverless cost-effective search capabilities, at any scale" (AWS Big Data Blog, 2024): the
# smallest capacity is half an OCU for indexing and half for search (0.5 vCPU, 3 GB of memory each); with standby
# replicas (redundancy, the default) each is doubled in a second Availability Zone.
MIN_OCU_PER_SIDE = 0.5
OCU_MEMORY_GB = 6.0
# The share of a search OCU's memory the k-NN graphs may take (OpenSearch's k-NN circuit breaker defaults to half of
# the memory it is given): past it, the search side needs more OCUs, whole ones.
_GRAPH_MEMORY_SHARE = 0.5
SOURCES = (
    "aws.amazon.com/opensearch-service/pricing/ (Serverless)",
    "aws.amazon.com/blogs/big-data/amazon-opensearch-serverless-cost-effective-search-capabilities-at-any-scale",
    "cloudburn.io/blog/amazon-opensearch-pricing (US East, March 2026)",
)
# A listing's stored size beside its embedding: its text fields, the document it is returned as, and term indexes.
_TEXT_BYTES_PER_ITEM = 4 * 1024
# HNSW's graph beside the float32 vectors (M = 16 links per vector, 8 bytes each, as OpenSearch's k-NN sizing guide
# counts them), and its own 10 % overhead.
_GRAPH_BYTES_PER_VECTOR = 16 * 8
_GRAPH_OVERHEAD = 1.1


@dataclass(frozen=True)
class SearchFloor:
    indexing_ocu: float
    search_ocu: float
    storage_gb: float

    @property
    def compute_usd_per_month(self) -> float:
        return (self.indexing_ocu + self.search_ocu) * USD_PER_OCU_HOUR * HOURS_PER_MONTH

    @property
    def storage_usd_per_month(self) -> float:
        return self.storage_gb * USD_PER_GB_MONTH

    @property
    def usd_per_month(self) -> float:
        return self.compute_usd_per_month + self.storage_usd_per_month


def vector_memory_gb(items: int, dimensions: int) -> float:
    """The memory a faiss HNSW graph of `items` vectors needs on the search side (OpenSearch's k-NN sizing)."""
    return _GRAPH_OVERHEAD * (4 * dimensions + _GRAPH_BYTES_PER_VECTOR) * items / 1024**3


def search_floor(items: int, dimensions: int, *, standby_replicas: bool) -> SearchFloor:
    """The least capacity the collection runs on with `items` listings: half an OCU per side until the vectors need
    more search memory; doubled with standby replicas."""
    copies = 2 if standby_replicas else 1
    graphs = vector_memory_gb(items, dimensions)
    search = MIN_OCU_PER_SIDE
    if graphs > MIN_OCU_PER_SIDE * OCU_MEMORY_GB * _GRAPH_MEMORY_SHARE:
        search = math.ceil(graphs / (OCU_MEMORY_GB * _GRAPH_MEMORY_SHARE))
    storage = items * (4 * dimensions + _TEXT_BYTES_PER_ITEM) / 1024**3
    return SearchFloor(indexing_ocu=MIN_OCU_PER_SIDE * copies, search_ocu=search * copies, storage_gb=storage)
