"""Validation accepts the JSONata the reference accepts, and what the local runtime (jsonata-python) evaluates.

Validation parses with jlens. The corpus is every expression of the golden graphs and of the workflow tests, Step
Functions-style `{% … %}` templates and known-invalid expressions: validation must accept exactly what the reference
JSONata (jsonata-js 2, run by Node.js) accepts, and what jsonata-python accepts but for its known faults, and say
why not in the parser's words, never raise (a parser error that escaped would be a 500 instead of a 422).
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonata import Jsonata  # type: ignore[import-untyped]
from jsonata.jexception import JException  # type: ignore[import-untyped]

from shared.resources import PROJECT_ROOT
from shared.workflows.nodes.base import find_templates
from shared.workflows.validation import jsonata_error
from tests.workflows.asl_validator import reference_jsonata_errors
from tests.workflows.generators import EXPRESSIONS

TESTS = PROJECT_ROOT / "tests"
GOLDEN_DIR = TESTS / "unit" / "workflows" / "golden"
# Files whose string literals hold workflow expressions: node parameters and hand-written ASL.
EXPRESSION_SOURCES = (
    *sorted((TESTS / "workflows").glob("*.py")),
    *sorted((TESTS / "integration" / "workflows").glob("*.py")),
    TESTS / "unit" / "workflows" / "test_validation.py",
)
EXPRESSION_PARAMS = {"expression", "condition", "items", "input", "output"}

STEP_FUNCTIONS_STYLE = (
    "$states.input",
    "$states.input.value + 1",
    "$states.result.Payload",
    "$states.context.Execution.Id",
    "$states.context.Map.Item.Value",
    "$states.errorOutput",
    '{"input": $states.input, "error": $states.errorOutput}',
    "{'step': 7, 'value': $states.input.value + 1}",
    "$states.input.items[price > 100].name",
    "$count($states.input.items) > 0 and $states.input.enabled",
    "$states.input.tier in ['gold', 'silver']",
    "$states.input.total ? $states.input.total : 0",
    "$sum($states.input.orders.(price * quantity))",
    "$states.input.name & ' <' & $states.input.email & '>'",
    "$string($states.input.id) & '-' & $uppercase($states.input.code)",
    "$map($states.input.items, function($item, $i) { {'n': $i, 'v': $item} })",
    "$filter($states.input.items, function($v) { $v.ok })",
    "$reduce([1, 2, 3], function($acc, $v) { $acc + $v }, 0)",
    "($total := $sum($states.input.values); {'total': $total, 'mean': $total / $count($states.input.values)})",
    "$states.input.orders^(>date)[0]",
    "$states.input.items{type: $sum(amount)}",
    "$states.input.items#$i[$i < 3]",
    "$states.input.`odd key`",
    "$states.input ~> $keys()",
    "$states.input.tags[$contains($, /^prio/i)]",
    "$exists($states.input.missing) = false",
    "$now()",
    "$millis() - $toMillis($states.input.since)",
    "[1..5]",
    "$partition := function($xs) { $xs[$ % 2 = 0] }; $partition([1, 2, 3])",
    "-$states.input.delta",
    "$states.input.a != null or $states.input.b >= 2.5e3",
    "$$.input",
    "%",
    "[1..2, 4]",
    "[1, 2..3]",
    "$states.input.[1..3]",
    "[$states.input.first..$states.input.last]",
    "{'range': [1 + 1..5]}",
    "'a..b' & \"c..d\" & `e..f`",
    "$match($states.input, /a..b/)",
    "$match($states.input, /^[a-z]+(\\/[a-z]+)*$/im)",
    '$replace($states.input.text, /\\s+/, " ")',
    "$split($states.input.path, '/')",
    "$states.input.total / 2 / $count($states.input.items)",
    "/a/ and true",
    "/* a..b := c */ $states.input",
    "$states.input /* a trailing comment */",
    "($a := 1; $b := $a + 1; $b)",
    "''",
    "null",
    "true",
    "*",
    "**",
)

INVALID = (
    "",
    "   ",
    "(1 + 2",
    "$sum(1, 2",
    "$states.input.",
    "$states.input +",
    "$states.input ~> ",
    "'unterminated",
    '"unterminated',
    "`unterminated",
    "[1, 2",
    "{'a': 1",
    "{'a' 1}",
    "$states.input[",
    "1 +* 2",
    "1 ** 2",
    "$states.input.a !== 1",
    "$states.input.a <> 1",
    "$states.input.a === 1",
    "$x := 1; $x",
    "@$x",
    "#$i",
    "/unterminated",
    "function($a) { $a",
    "$states.input ? : 1",
    "1 2 3",
    "{% $states.input %}",
    "$states.input)",
    "]",
    "$states.input.a.b..c",
    "9" * 400,
    "1e999",
    "(" * 2000,
    "1..2",
    "$states.input.a..b",
    "$states.input.a .. 3",
    "$states.input.items[1..2]",
    "[(1..2)]",
    "[1..2..3]",
    "total := 1",
    "$states.input := 1",
    "$a.b := 1",
    "$a.$b := 1",
    "$match($states.input, /a**/)",
    "$match($states.input, /a(/)",
    "$match($states.input, /[/)",
    "$match($states.input, /a/g)",
    "$match($states.input, /a/ b)",
    "$match($states.input, /[a-z/ ) '\\x'$states.input/)",
)
# What jsonata-python refuses though the reference parses it: a comment at the very end (IndexError in its lexer).
# Validation follows the reference; such an expression fails the execution locally, not in the cloud.
LOCAL_RUNTIME_FAULTS = {"$states.input /* a trailing comment */"}
# Ours, not JSONata's: `%}` would close the `{% … %}` template early.
TEMPLATE_CLOSERS = {text for text in INVALID if "%}" in text}


def _golden_expressions() -> Iterator[str]:
    for path in sorted(GOLDEN_DIR.glob("*.json")):
        for _pointer, text in find_templates(json.loads(path.read_text())):
            yield text


def _source_expressions(path: Path) -> Iterator[str]:
    for item in ast.walk(ast.parse(path.read_text())):
        value: Any = None
        if isinstance(item, ast.keyword) and item.arg in EXPRESSION_PARAMS:
            value = item.value
        elif isinstance(item, ast.Dict):
            for key, entry in zip(item.keys, item.values, strict=True):
                if isinstance(key, ast.Constant) and key.value in EXPRESSION_PARAMS:
                    yield from _constant(entry)
        elif isinstance(item, ast.Constant) and isinstance(item.value, str):
            yield from (text for _pointer, text in find_templates(item.value))
        if value is not None:
            yield from _constant(value)


def _constant(value: ast.expr) -> Iterator[str]:
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        yield value.value


def _corpus() -> list[str]:
    found = {*_golden_expressions(), *EXPRESSIONS, *STEP_FUNCTIONS_STYLE, *INVALID}
    for path in EXPRESSION_SOURCES:
        found.update(_source_expressions(path))
    return sorted(found)


CORPUS = _corpus()


def _jsonata_python_accepts(text: str) -> bool:
    try:
        Jsonata.get_parser().parse(text)
    except (JException, re.error, RecursionError, ValueError, TypeError, IndexError, AttributeError):
        return False
    return True


def test_the_corpus_holds_the_workflow_expressions_and_both_kinds() -> None:
    accepted = [text for text in CORPUS if _jsonata_python_accepts(text)]
    assert len(accepted) >= 60, "the golden graphs and workflow tests should contribute their expressions"
    assert len(CORPUS) - len(accepted) >= len(INVALID)
    assert len(set(_golden_expressions())) >= 20


@pytest.fixture(scope="module")
def reference_errors() -> dict[str, str | None]:
    return dict(zip(CORPUS, reference_jsonata_errors(CORPUS), strict=True))


@pytest.mark.parametrize("text", CORPUS, ids=lambda text: text[:60])
def test_validation_accepts_and_refuses_what_the_reference_does(
    text: str, reference_errors: dict[str, str | None]
) -> None:
    jsonata_error.cache_clear()
    expected = reference_errors[text] is None and text not in TEMPLATE_CLOSERS
    assert (jsonata_error(text) is None) == expected, reference_errors[text]


@pytest.mark.parametrize("text", CORPUS, ids=lambda text: text[:60])
def test_validation_accepts_what_the_local_runtime_evaluates(text: str) -> None:
    jsonata_error.cache_clear()
    assert (jsonata_error(text) is None) == (_jsonata_python_accepts(text) or text in LOCAL_RUNTIME_FAULTS)


@pytest.mark.parametrize("text", INVALID, ids=lambda text: text[:60])
def test_known_invalid_expressions_are_refused_by_validation(text: str) -> None:
    assert jsonata_error(text) is not None


def test_validation_says_what_is_wrong_in_the_reference_wording() -> None:
    jsonata_error.cache_clear()
    assert jsonata_error("$states.input.value + 1") is None
    assert jsonata_error("(1 + 2") == 'JSONata does not parse: Expected ")" before end of expression'
    assert jsonata_error("{'a': 1") == 'JSONata does not parse: Expected "}" before end of expression'
    assert jsonata_error("$states.input.") == "JSONata does not parse: Unexpected end of expression"
    assert jsonata_error("'abc") == ("JSONata does not parse: String literal must be terminated by a matching quote")
    assert jsonata_error("(" * 2000) == (
        "JSONata does not parse: The expression is nested too deeply (the limit is 1000 levels)"
    )
    assert jsonata_error("$x %} {% $y") == "an expression can't contain `%}`"
    assert jsonata_error("$match($states.input, /a**/)") == (
        "JSONata does not parse: a regular expression does not compile (multiple repeat at position 2)"
    )
