"""Query parameters of every list route: a page size and the opaque cursor of the previous page."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from shared.store.context import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

PageLimit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Items per page")]
# A cursor's shape (base64url payload, a dot, base64url signature); what it says is the server's to verify.
PageCursor = Annotated[
    str | None,
    Query(
        pattern=r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$",
        max_length=2048,
        description="`next_cursor` of the previous page, as it was given",
    ),
]
DEFAULT_LIMIT = DEFAULT_PAGE_SIZE
