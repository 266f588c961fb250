"""Update expressions parsed once per distinct text, for the emulation's DynamoDB.

moto tokenizes and parses an `UpdateExpression` twice per UpdateItem (the request handler validates the names it
uses, the backend applies it), on every request: 7% of forge dev's time under webhook load, for a handful of
distinct expressions (placeholders, not values, are in the text). The parsed tree is only read (`find_clauses`) or
deep-copied before moto's validators resolve names and values into it, so one tree per text serves every request.
"""

from __future__ import annotations

import functools
import importlib
from typing import Any

PARSED_EXPRESSIONS = 1024
_installed = False


def install_dynamodb_expressions() -> None:
    """Idempotent; call before the emulation serves requests."""
    global _installed
    if _installed:
        return
    expressions: Any = importlib.import_module("moto.dynamodb.parsing.expressions")  # untyped in moto
    parser = expressions.UpdateExpressionParser
    make = parser.make

    @functools.lru_cache(maxsize=PARSED_EXPRESSIONS)
    def make_once(expression: str) -> Any:
        return make(expression)

    parser.make = make_once
    _installed = True
