"""DynamoDB expressions parsed once per distinct text, for the emulation's DynamoDB.

moto tokenizes and parses an `UpdateExpression` twice per UpdateItem (the request handler validates the names it
uses, the backend applies it), on every request: 7% of forge dev's time under webhook load, for a handful of
distinct expressions (placeholders, not values, are in the text). The parsed tree is only read (`find_clauses`) or
deep-copied before moto's validators resolve names and values into it, so one tree per text serves every request.

Condition expressions (`ConditionExpression`, `FilterExpression`, a transaction's `ConditionCheck`) are lexed by
moto with six regular expressions tried at every token, about half of their parsing (0.8 of 1.7 ms for a
five-clause condition): the tokens depend on the text alone and are immutable tuples, so they are kept per text;
what follows them (names and values resolved, the tree built) still runs per request, because values differ. And
moto looks each plain attribute name up in a list of 573 reserved words; the same words as a frozenset answer the
same membership test at once.

Each UpdateItem's validator deep-copies the parsed tree before resolving names and values into it; Python's generic
deepcopy (`__reduce_ex__`, copyreg, a state dictionary per node) took 700 µs for a six-action expression, 5% of the
emulation's CPU under webhook load (py-spy). The tree's nodes get a `__deepcopy__` that copies their attributes as
the generic one does (the same copy, the same sharing through the memo): 375 µs. moto did the same for DynamoType
and Item already.

Upstream, these belong in moto 5.2.5's moto/dynamodb: ConditionExpressionParser would compile its token patterns
once and keep the tokens per text, ReservedKeywords would keep a set, parsing/ast_nodes.py's Node would have the
`__deepcopy__` DynamoType has. No getmoto/moto issue asks for any of them yet (none found); one is to be filed with
these numbers, and this patch goes when a moto release has the fix. Checked against moto's behaviour by
tests/integration/test_dynamodb_expressions.py.
"""

from __future__ import annotations

import copy
import functools
import importlib
from collections import deque
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
    node: Any = importlib.import_module("moto.dynamodb.parsing.ast_nodes").Node
    node.__deepcopy__ = _deepcopy_node
    _lex_conditions_once()
    keywords: Any = importlib.import_module("moto.dynamodb.parsing.reserved_keywords").ReservedKeywords
    keywords.KEYWORDS = frozenset(keywords.get_reserved_keywords())
    _installed = True


_ATOMIC = (str, int, float, bool, type(None))


def _deepcopy_node(node: Any, memo: dict[int, Any]) -> Any:
    """What `copy.deepcopy` makes of a parse-tree node (a new node of its class, its attributes deep-copied through
    the same memo), without the generic reduce protocol."""
    copied = object.__new__(type(node))
    memo[id(node)] = copied
    copied.__dict__.update(
        {name: value if type(value) in _ATOMIC else copy.deepcopy(value, memo) for name, value in vars(node).items()}
    )
    return copied


def _lex_conditions_once() -> None:
    comparisons: Any = importlib.import_module("moto.dynamodb.comparisons")
    parser = comparisons.ConditionExpressionParser
    lex = parser._lex_condition_expression

    @functools.lru_cache(maxsize=PARSED_EXPRESSIONS)
    def tokens(expression: str) -> tuple[Any, ...]:
        # Lexing reads the text alone: a parser without names or values lexes it as any request's would.
        return tuple(lex(parser(expression, None, None)))

    def lex_once(self: Any) -> deque[Any]:
        # A new deque each time: the parser consumes it; the tokens are named tuples it never changes.
        return deque(tokens(self.condition_expression))

    parser._lex_condition_expression = lex_once
