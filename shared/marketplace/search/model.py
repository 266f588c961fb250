"""What the search index holds and answers: one document per item, queries with filters, hits with facets."""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class SearchMode(StrEnum):
    keyword = "keyword"
    semantic = "semantic"
    # Both rankings fused, so an exact name still wins and a paraphrase still finds its item.
    hybrid = "hybrid"


class SearchDocument(BaseModel):
    """An item as search sees it: its latest installable version's listing, and the signals that rank it."""

    model_config = ConfigDict(frozen=True)

    item_id: str
    # The version whose listing this is: its embedding is computed once, when another version replaces it.
    version: str = ""
    kind: str
    namespace: str
    name: str
    title: str
    description: str
    categories: tuple[str, ...] = ()
    verified: bool = False
    licence: str = ""
    rating: float | None = None
    installs: int = 0
    # Measured performance, only once the item shows it (5 contributing tenants: shared/marketplace/performance.py).
    success_rate: float | None = None
    executions: int = 0

    def text(self) -> str:
        """The text that is embedded: what a person would read to decide."""
        return f"{self.title}. {self.description}"

    def rank_factor(self) -> float:
        """What a text match's score is multiplied by: 1 unmeasured, else within 1 ± PERFORMANCE_BOOST."""
        if self.success_rate is None:
            return 1.0
        confidence = min(1.0, math.log10(1 + self.executions) / math.log10(1 + PERFORMANCE_FULL_CONFIDENCE))
        above = self.success_rate - PERFORMANCE_PIVOT
        quality = above / (1 - PERFORMANCE_PIVOT) if above >= 0 else above / PERFORMANCE_PIVOT
        return 1.0 + PERFORMANCE_BOOST * confidence * quality


# Measured performance moves a match's score by at most this share: up for a success rate above the pivot, down below
# it (linearly, full at 100 % and at 0 %), in full only from PERFORMANCE_FULL_CONFIDENCE executions (log scale below).
# Relevance still decides between items that match unequally well, performance between items that match about as well.
PERFORMANCE_BOOST = 0.1
PERFORMANCE_PIVOT = 0.9
PERFORMANCE_FULL_CONFIDENCE = 1_000

FacetName = str

# The rating facet counts matches rated at least this many stars, as a store's "4 stars & up" does: each value is what
# the `rating` filter takes, so picking one narrows to the count shown.
RATING_FACET_STARS = (4, 3, 2, 1)


def rating_facet(counts: dict[int, int]) -> list[FacetValue]:
    """The rating facet from the number of matches at or above each star count: highest first, empty ones left out."""
    return [FacetValue(value=str(stars), count=counts[stars]) for stars in RATING_FACET_STARS if counts.get(stars)]


class SearchFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str | None = None
    category: str | None = None
    namespace: str | None = None
    verified: bool | None = None
    licence: str | None = None
    min_rating: Annotated[float | None, Field(ge=0, le=5)] = None


class SearchQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, Field(max_length=500)] = ""
    filters: SearchFilters = SearchFilters()
    mode: SearchMode = SearchMode.hybrid
    limit: Annotated[int, Field(ge=1, le=50)] = 20
    offset: Annotated[int, Field(ge=0, le=1_000)] = 0


class SearchHit(BaseModel):
    document: SearchDocument
    score: float


class FacetValue(BaseModel):
    value: str
    count: int


class SearchResults(BaseModel):
    hits: list[SearchHit]
    total: int
    facets: dict[FacetName, list[FacetValue]]
