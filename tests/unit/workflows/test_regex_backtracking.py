"""Regular expressions whose repetitions can match the same text in more than one way are found; the common
unambiguous forms (a separator between runs, bounded repetitions, possessive and atomic groups) are not."""

from __future__ import annotations

import pytest

from shared.workflows import regex_backtracking
from shared.workflows.regex_backtracking import AMBIGUOUS, TOO_LARGE, backtracking_hazard

CATASTROPHIC = (
    r"(a+)+$",
    r"(a*)*",
    r"(a+)*?",
    r"(a+){2,}",
    r"(x+x+)+y",
    r"(\w+\s?)+$",
    r"(\s*\w+)*$",
    r"(.*,)+",
    r"(\d+\.\d+)+",
    r"(\w+\.\w*)+",
    r"(a+ba+)+",
    r"((ab)*c*)+",
    r"(a+|b)+",
    r"(a?a?)+",
    r"(a|aa)+",
    r"(a|a)*",
    r"(a|b|ab)*",
    r"(ab|a.)+",
    r"(?i:A+)+",
    r"^(([a-z])+.)+[A-Z]([a-z])+$",
    r"(?=(a+)+$)",
)
UNAMBIGUOUS = (
    r"^[a-z]+(\/[a-z]+)*$",
    r"(\w+\.)+",
    r"(\w+[.-])*\w+@\w+",
    r"(\s*,\s*\w+)+",
    r"(ab+)+",
    r"(a|ab)+",
    r"(get|gets)+",
    r"(cat|car)+",
    r"(a?)+",
    r"(a{2})+",
    r"(a+){3}",
    r"(\d{1,3}\.){3}\d{1,3}",
    r"(a++)+",
    r"(?>a+)+",
    r"(\w+\b\s*)+",
    r"[a-z]{2,}",
    r"(\w+)\s(\w+)",
    r"^prio",
    r"\s+",
)


@pytest.mark.parametrize("pattern", CATASTROPHIC)
def test_an_ambiguous_repetition_is_found(pattern: str) -> None:
    assert backtracking_hazard(pattern) == AMBIGUOUS


@pytest.mark.parametrize("pattern", UNAMBIGUOUS)
def test_an_unambiguous_pattern_passes(pattern: str) -> None:
    assert backtracking_hazard(pattern) is None


def test_the_case_insensitive_flag_makes_letters_of_either_case_overlap() -> None:
    assert backtracking_hazard(r"(a+A+)+") is None
    assert backtracking_hazard(r"(a+A+)+", case_insensitive=True) == AMBIGUOUS


def test_a_long_repeated_group_is_checked_in_one_pass_over_its_parts() -> None:
    separated = "(" + r"\d?-" * 2_500 + ")+"

    assert backtracking_hazard(separated) is None
    assert backtracking_hazard(separated[:-2] + r"\d+)+") == AMBIGUOUS


def test_a_pattern_that_needs_more_work_than_the_budget_is_refused_as_too_large(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(regex_backtracking, "WORK_BUDGET", 100)

    assert backtracking_hazard("(" + r"\d?-" * 200 + ")+") == TOO_LARGE


def test_a_pattern_nested_too_deeply_to_parse_is_refused_as_too_large() -> None:
    assert backtracking_hazard("(" * 5_000 + "a" + ")" * 5_000) == TOO_LARGE
