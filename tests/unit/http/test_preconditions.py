import pytest

from shared.http.preconditions import expected_revision
from shared.problems import Conflict


@pytest.mark.parametrize(("header", "revision"), [(None, None), ("*", None), ("3", 3), ('"3"', 3), ('W/"12"', 12)])
def test_if_match_reads_a_revision_or_no_condition(header: str | None, revision: int | None) -> None:
    assert expected_revision(header) == revision


@pytest.mark.parametrize("header", ['"abc"', "1.5", "-1", "٣"])
def test_if_match_that_is_no_revision_fails_the_precondition(header: str) -> None:
    with pytest.raises(Conflict, match="If-Match"):
        expected_revision(header)
