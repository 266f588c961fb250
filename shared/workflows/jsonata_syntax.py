"""What jsonatapy's parser lets through that the reference JSONata (jsonata-js, and jsonata-python after it) refuses.

Validation parses with jsonatapy for speed. It accepts two shapes the reference parser rejects, both plausible
typos: a range `..` outside an array constructor (`$states.input.a..b`, `a[1..2]`, `[1..2..3]`) and `:=` with
something other than a `$variable` on its left (`total := 1`, `$a.b := 1`). This scan finds them on the tokens,
skipping strings, quoted names, comments and regular expressions. tests/unit/workflows/test_jsonata_parsers.py
holds both parsers (with this scan) to the same answers.
"""

from __future__ import annotations

import re

_DELIMITERS = r"\s.\[\]{}()\"'`,;:?!=<>+\-*/%&|^@#~"
_TOKEN = re.compile(
    rf"""(?P<space>\s+)
    |(?P<comment>/\*.*?(?:\*/|\Z))
    |(?P<string>"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*')
    |(?P<quoted>`[^`]*`)
    |(?P<range>\.\.)
    |(?P<bind>:=)
    |(?P<open>[(\[{{])
    |(?P<close>[)\]}}])
    |(?P<comma>,)
    |(?P<dot>\.)
    |(?P<number>(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[Ee][-+]?[0-9]+)?)
    |(?P<variable>\$[^{_DELIMITERS}]*)
    |(?P<name>[^{_DELIMITERS}0-9][^{_DELIMITERS}]*)
    |(?P<other>.)""",
    re.VERBOSE | re.DOTALL,
)
_OPERANDS = {"string", "quoted", "number", "variable", "name", "close", "regex"}
_KEYWORD_OPERATORS = {"and", "or", "in"}
RANGE_OUTSIDE_ARRAY = "a range `..` belongs directly inside an array constructor, e.g. [1..5]"
BIND_TO_NON_VARIABLE = "the left side of `:=` must be a variable name (start with $)"


def reference_syntax_error(text: str) -> str | None:
    """The reason the reference parser refuses `text` that jsonatapy accepts, or None."""
    frames: list[list[bool]] = []  # per open bracket: [is an array constructor, its current item has a range]
    kinds = ["", ""]  # the kinds of the last two tokens
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:  # unreachable: `other` matches any character
            return None
        kind, end = match.lastgroup or "other", match.end()
        if kind in ("space", "comment"):
            position = end
            continue
        after_operand = kinds[-1] in _OPERANDS
        if kind == "other" and match.group() == "/" and not after_operand:
            regex_end = _regex_end(text, position)
            if regex_end is None:
                return None  # jsonatapy has refused it already
            kind, end = "regex", regex_end
        elif kind == "name" and after_operand and match.group() in _KEYWORD_OPERATORS:
            kind = "other"
        reason = _misplaced(kind, match.group(), frames, kinds, after_operand)
        if reason:
            return reason
        kinds = [kinds[-1], kind]
        position = end
    return None


def _misplaced(kind: str, symbol: str, frames: list[list[bool]], kinds: list[str], after_operand: bool) -> str | None:
    if kind == "range":
        if not frames or not frames[-1][0] or frames[-1][1]:
            return RANGE_OUTSIDE_ARRAY
        frames[-1][1] = True
    elif kind == "bind" and (kinds[-1] != "variable" or kinds[-2] == "dot"):
        return BIND_TO_NON_VARIABLE
    elif kind == "open":
        frames.append([symbol == "[" and not after_operand, False])  # `[` after an operand is a predicate
    elif kind == "close" and frames:
        frames.pop()
    elif kind == "comma" and frames:
        frames[-1][1] = False
    return None


def _regex_end(text: str, start: int) -> int | None:
    """Where a regular expression literal that opens at `start` ends, after its flags (as jsonata-js scans it)."""
    depth = 0
    position = start + 1
    while position < len(text):
        char = text[position]
        if char == "\\":
            position += 2
            continue
        if char == "/" and depth == 0:
            position += 1
            while position < len(text) and text[position].isalpha():
                position += 1
            return position
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        position += 1
    return None
