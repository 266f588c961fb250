"""What jsonatapy's parser lets through that the reference JSONata (jsonata-js, and jsonata-python after it) refuses.

Validation parses with jsonatapy for speed. It accepts three kinds of text the reference parser rejects: a range
`..` outside an array constructor (`$states.input.a..b`, `a[1..2]`, `[1..2..3]`), `:=` with something other than a
`$variable` on its left (`total := 1`, `$a.b := 1`), both plausible typos, and a regular expression literal that
does not compile or ends wrongly (`/a**/`, `/a(/`, `/a/g`). This scan finds them on the tokens, skipping strings,
quoted names and comments. tests/unit/workflows/test_jsonata_parsers.py holds both parsers (with this scan) to the
same answers.
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
    |(?P<star>\*\*|\*|%)
    |(?P<variable>\$[^{_DELIMITERS}]*)
    |(?P<name>[^{_DELIMITERS}0-9][^{_DELIMITERS}]*)
    |(?P<other>.)""",
    re.VERBOSE | re.DOTALL,
)
_OPERAND_STARTS = {"string", "quoted", "number", "variable", "name"}
# After these, `/` divides and `[` filters; elsewhere `/` opens a regular expression and `[` an array.
_OPERANDS = {*_OPERAND_STARTS, "close", "regex", "wildcard"}
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
            kind = "regex"
            end, reason = _regex(text, position)
        else:
            kind = _by_position(kind, match.group(), after_operand)
            reason = _misplaced(kind, match.group(), frames, kinds, after_operand)
        if reason:
            return reason
        kinds = [kinds[-1], kind]
        position = end
    return None


def _by_position(kind: str, symbol: str, after_operand: bool) -> str:
    """`and`, `or`, `in` are operators after an operand and names elsewhere; `*`, `**`, `%` are operators after an
    operand and wildcards (or the parent) elsewhere."""
    if kind == "name" and after_operand and symbol in _KEYWORD_OPERATORS:
        return "other"
    if kind == "star":
        return "other" if after_operand else "wildcard"
    return kind


def _regex(text: str, start: int) -> tuple[int, str | None]:
    """(where the regular expression literal opening at `start` ends, why it is refused or None)."""
    found = _regex_end(text, start)
    if found is None:
        return len(text), "a regular expression needs a closing `/` (outside any brackets in it)"
    end, pattern, flags = found
    following = _TOKEN.match(text, end)
    if following is not None and following.lastgroup == "space":
        following = _TOKEN.match(text, following.end())
    if following and following.lastgroup in _OPERAND_STARTS and following.group() not in _KEYWORD_OPERATORS:
        return end, "a regular expression takes only the flags i and m"
    return end, _regex_error(pattern, flags)


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


def _regex_end(text: str, start: int) -> tuple[int, str, str] | None:
    """(where it ends, pattern, flags) of the regular expression literal that opens at `start`, scanned as the
    reference scans it: up to a `/` outside brackets, then the flags `i` and `m`."""
    depth = 0
    position = start + 1
    while position < len(text):
        char = text[position]
        if char == "\\":
            position += 2
            continue
        if char == "/" and depth == 0:
            pattern_end = position
            position += 1
            while position < len(text) and text[position] in "im":
                position += 1
            return position, text[start + 1 : pattern_end], text[pattern_end + 1 : position]
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        position += 1
    return None


def _regex_error(pattern: str, flags: str) -> str | None:
    """Why a regular expression literal does not compile, or None. jsonatapy compiles them only when it evaluates;
    the reference compiles them as it parses (jsonata-js with JavaScript's RegExp, jsonata-python, which the local
    runtime uses, with Python's `re`, which this follows)."""
    if not pattern:
        return "a regular expression can't be empty"
    options = (re.IGNORECASE if "i" in flags else 0) | (re.MULTILINE if "m" in flags else 0)
    try:
        re.compile(pattern, options)
    except re.error as error:
        shown = pattern if len(pattern) <= 40 else pattern[:40] + "…"
        return f"the regular expression /{shown}/ does not compile: {error}"
    return None
