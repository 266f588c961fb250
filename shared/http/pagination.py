"""Query parameters of every list route: a page size and the opaque cursor of the previous page."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from shared.store.context import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

PageLimit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Items per page")]
PageCursor = Annotated[str | None, Query(description="`next_cursor` of the previous page")]
DEFAULT_LIMIT = DEFAULT_PAGE_SIZE
