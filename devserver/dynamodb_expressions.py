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
and Item already. Then ten processors walk the copy, and at every node each rebuilt its map of node classes to
handlers (a new dictionary and tuple per node, though the maps are constant): a processor keeps its map once built.
And the nodes' classes are abstract base classes, so each of the walk's `isinstance` checks (a million for 500
updates) went through ABCMeta's hook: no node class is registered as a virtual subclass, so the class's own method
resolution order answers the same. Together: 7.5 → 4 ms per six-action conditional UpdateItem.

Upstream, these belong in moto 5.2.5's moto/dynamodb: ConditionExpressionParser would compile its token patterns
once and keep the tokens per text, ReservedKeywords would keep a set, parsing/ast_nodes.py's Node would have the
`__deepcopy__` DynamoType has and DepthFirstTraverser would cache what its docstring calls a "cached accessor". No
getmoto/moto issue asks for any of them yet (none found); one is to be filed with these numbers, and this patch goes
when a moto release has the fix. Checked against moto's behaviour by tests/integration/test_dynamodb_expressions.py.
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
    traverser: Any = importlib.import_module("moto.dynamodb.parsing.ast_nodes").DepthFirstTraverser
    traverser.nodes_to_be_processed = _node_types_once
    traverser.process = _process_with_map_once
    traverser.traverse_node_recursively = _traverse_node_recursively
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


def _processing_map_once(processor: Any) -> dict[type, Any]:
    """A processor's `_processing_map()` (node class → bound handler: the same on every call), built once."""
    kept: dict[type, Any] | None = processor.__dict__.get("_kept_processing_map")
    if kept is None:
        kept = processor.__dict__["_kept_processing_map"] = processor._processing_map()
    return kept


def _node_types_once(processor: Any) -> tuple[type, ...]:
    kept: tuple[type, ...] | None = processor.__dict__.get("_kept_node_types")
    if kept is None:
        kept = processor.__dict__["_kept_node_types"] = tuple(_processing_map_once(processor))
    return kept


def _process_with_map_once(processor: Any, node: Any) -> Any:
    ancestry = type(node).__mro__
    for node_class, handle in _processing_map_once(processor).items():
        if node_class in ancestry:
            return handle(node)
    return None


def _traverse_node_recursively(processor: Any, node: Any, child_id: int = -1) -> Any:
    """moto's `DepthFirstTraverser.traverse_node_recursively`, with class checks that skip ABCMeta's hook."""
    ancestry = type(node).__mro__
    if _node_class() not in ancestry:
        return node
    parent_node = node.parent
    if node.children is not None:
        for index, child_node in enumerate(node.children):
            processor.pre_processing_of_child(node, index)
            processor.traverse_node_recursively(child_node, index)
    if any(node_class in ancestry for node_class in processor.nodes_to_be_processed()):
        node = processor.process(node)
        node.parent = parent_node
        if parent_node:
            parent_node.children[child_id] = node
    return node


@functools.cache
def _node_class() -> type:
    node: type = importlib.import_module("moto.dynamodb.parsing.ast_nodes").Node
    return node


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
