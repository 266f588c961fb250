"""What search shows of an item: the version of highest precedence, and highlights that mark words but never let a
listing's text become markup."""

from __future__ import annotations

from shared.marketplace.search.feed import version_precedence
from shared.marketplace.search.service import highlighted


def test_the_latest_version_is_by_semverversion_precedence_not_by_text() -> None:
    versions = ["1.9.0", "1.10.0", "2.0.0-rc.2", "2.0.0-rc.10", "0.9.9"]
    assert max(versions, key=version_precedence) == "2.0.0-rc.10"
    assert max([*versions, "2.0.0"], key=version_precedence) == "2.0.0"


def test_highlights_mark_words_starting_with_a_query_word_and_escape_the_rest() -> None:
    marked = highlighted("Sends <b>invoices</b> & reminders", {"invoice", "remind"})
    assert marked == "Sends &lt;b&gt;<mark>invoices</mark>&lt;/b&gt; &amp; <mark>reminders</mark>"
    assert highlighted("Storm alerts", {"invoice"}) is None
