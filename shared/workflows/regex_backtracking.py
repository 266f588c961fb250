"""Whether a regular expression can backtrack catastrophically: a repeated part that can match the same text in more
than one way, such as `(a+)+`, `(a*)*`, `(\\w+\\s?)+`, `(.*,)+` or `(a|aa)+`.

A backtracking engine (Step Functions' JSONata, and the regex module under `forge dev`) tries every way before
it gives up on a text that almost matches, and there are exponentially many: `/(a+)+$/` over 30 a's and a b takes
minutes. The check reads the pattern as Python's own parser does (`re._parser`, which has already folded common
prefixes of alternatives, as in `(cat|car)` → `ca[tr]`) and looks at every unbounded repetition:

- two alternatives of a group in it that can begin with the same character (or both match nothing): each
  repetition can take either (`(a|a)*`, `(a|b|ab)*`);
- two variable-width parts in it, or one and itself on the next repetition, that can both match some character,
  with nothing between them that must match a character neither can (`(a+)+`, `(\\w+\\s?)+`, `(\\d+\\.\\d+)+`).

So `(\\w+\\.)+` and `^[a-z]+(/[a-z]+)*$` pass (the `.` and the `/` separate the runs) and so do bounded repetitions.
It over-approximates (a character class stands for every character it may match, on a sample alphabet), and misses
nothing of the two kinds above; it does not look for polynomial backtracking such as `\\d*\\d*\\d*x`.
"""

from __future__ import annotations

import re
import re._parser as sre  # type: ignore[import-not-found]  # re's own parser, as validation compiles literals with re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

UNBOUNDED = sre.MAXREPEAT
# Repetitions bounded this low backtrack at most polynomially.
BOUNDED_REPEAT_MAX = 16
# Characters a class is tested against: Latin-1 and a sample of other scripts, digits, spaces and a non-BMP symbol.
ALPHABET = frozenset([chr(code) for code in range(256)] + list("ĀΔжש中٣\u2028\u3000😀"))
_CATEGORY_PATTERNS = {
    sre.CATEGORY_DIGIT: r"\d",
    sre.CATEGORY_NOT_DIGIT: r"\D",
    sre.CATEGORY_SPACE: r"\s",
    sre.CATEGORY_NOT_SPACE: r"\S",
    sre.CATEGORY_WORD: r"\w",
    sre.CATEGORY_NOT_WORD: r"\W",
}
_ZERO_WIDTH = (sre.AT, sre.ASSERT, sre.ASSERT_NOT)
# Comparisons of character sets one pattern may take: the check is quadratic in a repeated group's parts at worst.
WORK_BUDGET = 200_000
AMBIGUOUS = (
    "can take exponential time: a repeated part of it can match the same text in more than one way, as in (a+)+, "
    "(a|aa)+ or (\\w+\\s?)+; make each repetition match one way (e.g. a+ for (a+)+)"
)
TOO_LARGE = "is too large or too deeply nested to check for catastrophic backtracking; simplify its repeated groups"


class _TooLarge(Exception):
    """The pattern needs more work than WORK_BUDGET to check."""


@dataclass(frozen=True)
class _Part:
    """One item of a repeated body: how many characters it takes, which, and with which it can begin."""

    item: tuple[Any, Any]
    low: int
    high: int
    chars: frozenset[str]
    variable: bool


def backtracking_hazard(pattern: str, case_insensitive: bool = False) -> str | None:
    """Why `pattern` (a regular expression that compiles in Python) may take exponential time, or None."""
    try:
        parsed = sre.parse(pattern, re.IGNORECASE if case_insensitive else 0)
        folded = case_insensitive or bool(parsed.state.flags & re.IGNORECASE) or "(?i" in pattern
        analysis = _Analysis(parsed.state, folded)
        if any(analysis.ambiguous_repeat(item) for item in _walk(list(parsed))):
            return AMBIGUOUS
    except (_TooLarge, RecursionError):
        return TOO_LARGE
    return None


def _walk(items: Iterable[tuple[Any, Any]]) -> Iterator[tuple[Any, Any]]:
    """Every item, at any depth."""
    for op, argument in items:
        yield op, argument
        for child in _children(op, argument):
            yield from _walk(child)


def _children(op: Any, argument: Any) -> list[list[tuple[Any, Any]]]:
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
        return [list(argument[2])]
    if op is sre.SUBPATTERN:
        return [list(argument[3])]
    if op is sre.ATOMIC_GROUP:
        return [list(argument)]
    if op in (sre.ASSERT, sre.ASSERT_NOT):
        return [list(argument[1])]
    if op is sre.BRANCH:
        return [list(alternative) for alternative in argument[1]]
    if op is sre.GROUPREF_EXISTS:
        return [list(branch) for branch in argument[1:] if branch is not None]
    return []


class _Analysis:
    def __init__(self, state: Any, folded: bool) -> None:
        self.state = state
        self.folded = folded
        self.work = 0

    def ambiguous_repeat(self, item: tuple[Any, Any]) -> bool:
        op, argument = item
        if op not in (sre.MAX_REPEAT, sre.MIN_REPEAT):
            return False
        _low, high, body = argument
        if high is not UNBOUNDED and high <= BOUNDED_REPEAT_MAX:
            return False
        parts = [self._part(each) for each in _flatten(list(body))]
        return any(self._ambiguous_branch(part.item) for part in parts) or self._runs_can_shift(parts)

    def _ambiguous_branch(self, item: tuple[Any, Any]) -> bool:
        op, argument = item
        if op is not sre.BRANCH:
            return False
        alternatives = [
            (self._width(list(alternative))[0] == 0, self._first_chars(list(alternative)))
            for alternative in argument[1]
        ]
        for position, (first_empty, first_chars) in enumerate(alternatives):
            for second_empty, second_chars in alternatives[position + 1 :]:
                self._spend(1)
                if (first_empty and second_empty) or not first_chars.isdisjoint(second_chars):
                    return True
        return False

    def _runs_can_shift(self, parts: list[_Part]) -> bool:
        """Two variable parts (or one and its next repetition) can share characters with nothing to part them.

        From each variable part, the parts that follow (round to itself) are read once: each mandatory part between
        is kept as the characters of the first part it can take; a later variable part is separated from the first
        when one kept set has none of its characters. A part that takes none of the first part's characters
        separates it from everything after it."""
        count = len(parts)
        for start, first in enumerate(parts):
            if not first.variable:
                continue
            kept: set[frozenset[str]] = set()
            widest = first.high
            for step in range(1, count + 1):
                part = parts[(start + step) % count]
                self._spend(len(kept) + 1)
                if part.variable and not any(chars.isdisjoint(part.chars) for chars in kept):
                    shares = not first.chars.isdisjoint(part.chars)
                    # `(a?)+`: one character a repetition, taken one way.
                    if shares and (step < count or widest >= 2):
                        return True
                separating = self._separating(part, first.chars)
                if separating is not None:
                    if not separating:
                        break
                    kept.add(separating)
                widest = min(widest + part.high, UNBOUNDED)
        return False

    def _separating(self, part: _Part, chars: frozenset[str]) -> frozenset[str] | None:
        """Of `chars`, those that `part` can stand between two runs with (empty: it parts every run), or None when
        it parts none (it can match nothing)."""
        op, argument = part.item
        if op is sre.AT and argument is sre.AT_BOUNDARY:
            return chars - _category(sre.CATEGORY_WORD)
        return part.chars & chars if part.low > 0 else None

    def _spend(self, work: int) -> None:
        self.work += work
        if self.work > WORK_BUDGET:
            raise _TooLarge

    def _part(self, item: tuple[Any, Any]) -> _Part:
        low, high = self._width([item])
        op = item[0]
        variable = low < high and op not in (sre.POSSESSIVE_REPEAT, sre.ATOMIC_GROUP, *_ZERO_WIDTH)
        return _Part(item, low, high, self._chars([item]), variable)

    def _width(self, items: list[tuple[Any, Any]]) -> tuple[int, int]:
        low, high = sre.SubPattern(self.state, items).getwidth()
        return int(low), int(min(high, UNBOUNDED))

    def _chars(self, items: Iterable[tuple[Any, Any]]) -> frozenset[str]:
        """Every character the items can consume (lookarounds consume none)."""
        found: set[str] = set()
        for op, argument in items:
            if op in (sre.ASSERT, sre.ASSERT_NOT):
                continue
            single = self._single(op, argument)
            if single is not None:
                found |= single
            elif op is sre.GROUPREF:
                found |= ALPHABET
            else:
                for child in _children(op, argument):
                    found |= self._chars(child)
        return frozenset(found)

    def _first_chars(self, items: list[tuple[Any, Any]]) -> frozenset[str]:
        """The characters a match of the items can begin with."""
        found: set[str] = set()
        for op, argument in items:
            single = self._single(op, argument)
            if single is not None:
                return frozenset(found | single)
            if op is sre.GROUPREF:
                return ALPHABET
            if op in _ZERO_WIDTH:
                continue
            if op is sre.BRANCH:
                for alternative in argument[1]:
                    found |= self._first_chars(list(alternative))
            else:
                for child in _children(op, argument):
                    found |= self._first_chars(child)
            if self._width([(op, argument)])[0] > 0:
                return frozenset(found)
        return frozenset(found)

    def _single(self, op: Any, argument: Any) -> frozenset[str] | None:
        """The characters a one-character item matches, or None for any other item."""
        if op is sre.LITERAL:
            chars = frozenset(chr(argument))
        elif op is sre.NOT_LITERAL:
            chars = ALPHABET - {chr(argument)}
        elif op is sre.ANY:
            chars = ALPHABET - {"\n"}
        elif op is sre.IN:
            chars = _in_class(tuple(argument))
        else:
            return None
        return _case_closed(chars) if self.folded else chars


def _flatten(items: list[tuple[Any, Any]]) -> Iterator[tuple[Any, Any]]:
    """A body's items, with plain groups opened: `(a(b+))` is a, b+."""
    for op, argument in items:
        if op is sre.SUBPATTERN:
            yield from _flatten(list(argument[3]))
        else:
            yield op, argument


@cache
def _in_class(members: tuple[tuple[Any, Any], ...]) -> frozenset[str]:
    chars: set[str] = set()
    negated = False
    for op, argument in members:
        if op is sre.NEGATE:
            negated = True
        elif op is sre.LITERAL:
            chars.add(chr(argument))
        elif op is sre.RANGE:
            low, high = argument
            chars |= {char for char in ALPHABET if low <= ord(char) <= high}
        elif op is sre.CATEGORY:
            chars |= _category(argument)
    return ALPHABET - chars if negated else frozenset(chars)


@cache
def _category(category: Any) -> frozenset[str]:
    pattern = _CATEGORY_PATTERNS.get(category)
    if pattern is None:
        return ALPHABET
    compiled = re.compile(pattern)
    return frozenset(char for char in ALPHABET if compiled.fullmatch(char))


def _case_closed(chars: frozenset[str]) -> frozenset[str]:
    return chars | {variant for char in chars for variant in (char.lower(), char.upper()) if len(variant) == 1}
