"""The `If-Match` precondition of a draft update, read as RFC 9110 reads it."""

from __future__ import annotations

from shared.problems import Conflict


def expected_revision(if_match: str | None) -> int | None:
    """The revision an update is based on: None when there is no condition (absent or `*`).

    An entity tag that is not a revision number can match no draft, so the precondition fails (409, as a stale
    revision does) rather than the update going through unconditionally.
    """
    if if_match is None or if_match.strip() in ("", "*"):
        return None
    tag = if_match.strip().removeprefix("W/").strip('"')
    if tag.isascii() and tag.isdigit():
        return int(tag)
    raise Conflict(f"If-Match {if_match!r} is not a revision of this draft; send the draft's revision number")
