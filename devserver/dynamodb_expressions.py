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
import json
import re
import threading
from collections import OrderedDict, deque
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
        tree = make(expression)
        _plan_copies(tree)
        return tree

    parser.make = make_once
    validators: Any = importlib.import_module("moto.dynamodb.parsing.validators")
    validators.deepcopy = _deepcopy_kept_tree
    node: Any = importlib.import_module("moto.dynamodb.parsing.ast_nodes").Node
    node.__deepcopy__ = _deepcopy_node
    traverser: Any = importlib.import_module("moto.dynamodb.parsing.ast_nodes").DepthFirstTraverser
    traverser.nodes_to_be_processed = _node_types_once
    traverser.process = _process_with_map_once
    traverser.traverse_node_recursively = _traverse_node_recursively
    traverser.traverse = _traverse
    _check_update_texts_once()
    _lex_conditions_once()
    _parse_conditions_once()
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


# A kept update tree (by id, with the tree itself so the id is not reused) → how to build a copy of it.
COPY_PLANS: dict[int, tuple[Any, list[Any]]] = {}


def _plan_copies(tree: Any) -> None:
    """How to build what `copy.deepcopy` makes of a kept tree: its nodes and lists in the order deepcopy first meets
    them, each with its attributes or members as they are (atomic values) or the position of the object they refer to
    (parent, children). A kept tree is never changed (only its copies are), so the plan holds. Not planned (deepcopy
    copies it) if the tree holds anything else."""
    positions: dict[int, int] = {}
    entries: list[Any] = []
    node_class = _node_class()

    def place(value: Any) -> tuple[bool, Any]:
        if type(value) in _ATOMIC:
            return False, value
        known = positions.get(id(value))
        if known is not None:
            return True, known
        position = positions[id(value)] = len(entries)
        entries.append(None)
        if type(value) is list:
            entries[position] = (list, [place(member) for member in value])
        elif node_class in type(value).__mro__ and type(value).__deepcopy__ is _deepcopy_node:
            entries[position] = (type(value), [(name, *place(member)) for name, member in vars(value).items()])
        else:
            raise TypeError(type(value).__name__)
        return True, position

    try:
        place(tree)
    except TypeError:
        return
    if len(COPY_PLANS) >= 2 * PARSED_EXPRESSIONS:
        COPY_PLANS.clear()
    COPY_PLANS[id(tree)] = (tree, entries)


def _deepcopy_kept_tree(value: Any, memo: dict[int, Any] | None = None) -> Any:
    """moto's validators' `deepcopy`: a kept tree's copy built from its plan (half the time of deepcopy's walk through
    the memo: every UpdateItem copies its tree, 4% of the emulation's samples at c=32), anything else deep-copied."""
    planned = COPY_PLANS.get(id(value)) if memo is None else None
    if planned is None or planned[0] is not value:
        return copy.deepcopy(value, memo)
    entries = planned[1]
    built = [[] if kind is list else object.__new__(kind) for kind, _ in entries]
    for copied, (kind, parts) in zip(built, entries, strict=True):
        if kind is list:
            copied.extend([built[part] if refers else part for refers, part in parts])
        else:
            copied.__dict__.update({name: built[part] if refers else part for name, refers, part in parts})
    return built[0]


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


# A node's class → (whether it is a parse-tree node, the processing map's key that handles it or None), per processor
# class: the map's keys are the same for every instance of a processor class.
_HANDLED: dict[tuple[type, type], tuple[bool, type | None]] = {}


def _handled(processor_class: type, node_map: dict[type, Any], node_type: type) -> tuple[bool, type | None]:
    ancestry = node_type.__mro__
    handled = (_node_class() in ancestry, next((key for key in node_map if key in ancestry), None))
    _HANDLED[processor_class, node_type] = handled
    return handled


def _traverse(processor: Any, root: Any, collect: tuple[type, list[Any]] | None = None) -> Any:
    """moto's `DepthFirstTraverser.traverse` (depth first, each node handled after its children by the first class
    of the processing map it is an instance of, the handler's node put in its place), with what each node class
    gets looked up once per processor class and the no-op child hook not called: ten processors walk every
    UpdateItem's tree (12% of the emulation's py-spy samples under webhook load before this). `collect`: (a node
    class, a list) — the walk also lists the nodes of that class it passes, in the order a processor handling that
    class would handle them."""
    processor_class = type(processor)
    node_map = _processing_map_once(processor)
    hook = processor.pre_processing_of_child
    if getattr(processor_class, "pre_processing_of_child", None) is _no_child_hook():
        hook = None

    def visit(node: Any, child_id: int) -> Any:
        node_type = type(node)
        handled = _HANDLED.get((processor_class, node_type)) or _handled(processor_class, node_map, node_type)
        if not handled[0]:
            return node
        parent_node = node.parent
        children = node.children
        if children is not None:
            for index, child_node in enumerate(children):
                if hook is not None:
                    hook(node, index)
                visit(child_node, index)
        if handled[1] is not None:
            node = node_map[handled[1]](node)
            node.parent = parent_node
            if parent_node:
                parent_node.children[child_id] = node
        if collect is not None and collect[0] in type(node).__mro__:
            collect[1].append(node)
        return node

    return visit(root, -1)


@functools.cache
def _no_child_hook() -> Any:
    traverser: Any = importlib.import_module("moto.dynamodb.parsing.ast_nodes").DepthFirstTraverser
    return traverser.pre_processing_of_child


# The update texts (their kept trees, by identity), names and table keys that passed the checks that read nothing else.
_CHECKED_UPDATES: dict[tuple[int, str, tuple[str, ...]], Any] = {}
CHECKED_UPDATES = 4096


def _check_update_texts_once() -> None:
    """moto's UpdateExpressionValidator runs three checks first that read only the expression's tree, its names and
    the table's key attributes (at most one clause of each kind, no overlapping paths, no key attribute updated), each
    a walk of the whole tree, and return it unchanged. Once passed for a kept tree (one per text), names and keys,
    they are not walked again; a tree that fails one is checked (and refused) every time.

    Of the seven walks that read the values or the item, the missing-path check only raises at a NoneExistingPath
    node, which only the resolver puts in the tree (where a path is read as a value): when it put none, that walk
    finds nothing and is left out. The type and empty-string checks of the index keys handle only SET actions,
    returning them unchanged: the walk before them (the operations') lists the SET actions in the order those walks
    would meet them, and each check runs over that list — every action's type first, then every empty string, so the
    same error comes first. The other four walk together (`_walk_update_fused`). Seven walks become one: a
    five-action text's validation (the tree's copy and the walks) took 198 and 205 us of CPU and takes 150 and 158
    (session 12, best of 7 runs of 3,000, single-threaded, load 9 to 12)."""
    validators: Any = importlib.import_module("moto.dynamodb.parsing.validators")
    update_validator = validators.UpdateExpressionValidator
    kinds = _UpdateWalks(validators, importlib.import_module("moto.dynamodb.parsing.ast_nodes"))
    initialise = update_validator.__init__
    resolve = kinds.resolver.resolve_expression_path

    def remember_tree(self: Any, expression: Any, *args: Any, **kwargs: Any) -> None:
        initialise(self, expression, *args, **kwargs)
        self.kept_tree = expression

    def resolve_and_remember_a_missing_path(self: Any, node: Any) -> Any:
        resolved = resolve(self, node)
        # Resolving, the result takes the path's place in the tree; otherwise (a SET's target) it is only checked.
        if self.resolving and isinstance(resolved, kinds.missing_path):
            self.made_a_missing_path = True
        return resolved

    def validate(self: Any) -> Any:
        try:
            names = json.dumps(self.expression_attribute_names, sort_keys=True)
            key: tuple[int, str, tuple[str, ...]] | None = (
                id(self.kept_tree),
                names,
                tuple(self.table.table_key_attrs),
            )
        except (TypeError, ValueError, AttributeError):
            key = None
        checked = key is not None and _CHECKED_UPDATES.get(key) is self.kept_tree
        skipped = (kinds.text_only if checked else ()) + (
            (kinds.function_evaluator,) if _without_functions(self.kept_tree) else ()
        )
        node = _walk_update_fused(self, skipped, kinds)
        if key is not None and not checked:
            if len(_CHECKED_UPDATES) >= CHECKED_UPDATES:
                _CHECKED_UPDATES.clear()
            _CHECKED_UPDATES[key] = self.kept_tree
        return node

    update_validator.__init__ = remember_tree
    update_validator.validate = validate
    kinds.resolver.resolve_expression_path = resolve_and_remember_a_missing_path


class _UpdateWalks:
    """The classes of moto's update validation `_walk_update` tells apart."""

    def __init__(self, validators: Any, ast_nodes: Any) -> None:
        self.text_only: tuple[type, ...] = (
            validators.ActionCountValidator,
            validators.OverlappingPathsValidator,
            validators.UpdateHashRangeKeyValidator,
        )
        self.function_evaluator: type = validators.UpdateExpressionFunctionEvaluator
        self.resolver: Any = validators.ExpressionAttributeResolvingProcessor
        self.path_checker: type = validators.NoneExistingPathChecker
        self.operations: type = validators.ExecuteOperations
        self.set_action_checks: tuple[type, ...] = (
            validators.TypeMismatchValidator,
            validators.EmptyStringKeyValueValidator,
        )
        self.set_action: type = ast_nodes.UpdateExpressionSetAction
        self.missing_path: type = ast_nodes.NoneExistingPath
        # moto 5.2.5's processors, in its order: the text checks, then those fused into one walk (the values, the
        # resolver, the functions, [the missing-path check, left out], the operations), then the SET action checks.
        self.order: list[type] = [
            *self.text_only,
            validators.ExpressionAttributeValueProcessor,
            self.resolver,
            self.function_evaluator,
            self.path_checker,
            self.operations,
            *self.set_action_checks,
        ]


def _walk_update_fused(validator: Any, skipped: tuple[type, ...], kinds: _UpdateWalks) -> Any:
    """`_walk_update`, with the values, the resolver, the functions and the operations walking the tree together:
    at each node (children first) each of them in moto's order handles what it would handle in its own walk, on the
    node the one before left there. That is the tree their four walks leave when no processor refuses it and the
    resolver made no missing path (the check between the functions and the operations would find none): the
    handlers read only the node's own children, made by the same handlers before, the item (not changed while
    validating) and the resolver's state, which moves with the same hook calls in the same order. Anything else — a
    refusal, a missing path — is validated again from a new copy of the tree, walk after walk, so the same error
    comes first."""
    processors = validator.processors
    if [type(processor) for processor in processors] != kinds.order:
        return _walk_update(processors, validator.node_to_validate, skipped, kinds)
    node = validator.node_to_validate
    text_checks, fused, set_checks = processors[:3], processors[3:8], processors[8:]
    for processor in text_checks:
        if type(processor) not in skipped:
            node = processor.traverse(node)
    resolver = fused[1]
    walkers = [each for each in fused if type(each) not in skipped and type(each) is not kinds.path_checker]
    set_actions: list[Any] = []
    try:
        node = _traverse_together(walkers, node, (kinds.set_action, set_actions))
        fused_as_moto = not resolver.__dict__.get("made_a_missing_path")
    except Exception:  # noqa: BLE001 - validated again walk after walk, which raises moto's first error
        fused_as_moto = False
    if not fused_as_moto:
        again = validator.get_ast_processors()
        return _walk_update(again[3:], _deepcopy_kept_tree(validator.kept_tree), skipped, kinds)
    for processor in set_checks:
        check = _processing_map_once(processor)[kinds.set_action]
        for action in set_actions:
            check(action)
    return node


def _traverse_together(processors: list[Any], root: Any, collect: tuple[type, list[Any]]) -> Any:
    """`_traverse` of each of `processors` in turn, in one walk: at each node, after its children, each processor's
    handler for the node's class (on the node the one before it left); each processor's child hook before each
    child; the nodes of `collect`'s class listed as `_traverse` lists them."""
    node_class = _node_class()
    steps = [(type(processor), _processing_map_once(processor)) for processor in processors]
    hooks = [
        processor.pre_processing_of_child
        for processor in processors
        if getattr(type(processor), "pre_processing_of_child", None) is not _no_child_hook()
    ]
    collect_class, collected = collect

    def visit(node: Any, child_id: int) -> Any:
        if node_class not in type(node).__mro__:
            return node
        parent_node = node.parent
        children = node.children
        if children is not None:
            for index, child_node in enumerate(children):
                for hook in hooks:
                    hook(node, index)
                visit(child_node, index)
        for processor_class, node_map in steps:
            node_type = type(node)
            handled = _HANDLED.get((processor_class, node_type)) or _handled(processor_class, node_map, node_type)
            if handled[1] is not None:
                node = node_map[handled[1]](node)
                node.parent = parent_node
                if parent_node:
                    parent_node.children[child_id] = node
        if collect_class in type(node).__mro__:
            collected.append(node)
        return node

    return visit(root, -1)


def _walk_update(processors: list[Any], node: Any, skipped: tuple[type, ...], kinds: _UpdateWalks) -> Any:
    """moto's `Validator.validate` (each processor walks the tree in turn), but for the processors `skipped`, the
    missing-path check when the resolver made no missing path, and the SET action checks run over the SET actions
    the operations' walk listed."""
    made_a_missing_path = True
    set_actions: list[Any] | None = None
    for processor in processors:
        kind = type(processor)
        if kind in skipped or (kind is kinds.path_checker and not made_a_missing_path):
            continue
        if kind in kinds.set_action_checks and set_actions is not None:
            check = _processing_map_once(processor)[kinds.set_action]
            for action in set_actions:
                check(action)
        elif kind is kinds.operations:
            set_actions = []
            node = _traverse(processor, node, (kinds.set_action, set_actions))
        else:
            node = processor.traverse(node)
            if kind is kinds.resolver:
                made_a_missing_path = bool(processor.__dict__.get("made_a_missing_path"))
    return node


# Kept update trees by identity → (the tree, whether it holds no function call).
_FUNCTION_FREE: dict[int, tuple[Any, bool]] = {}


def _without_functions(tree: Any) -> bool:
    """Whether an update text calls no function (`if_not_exists`, `list_append`): then the function evaluator's walk,
    which handles only function nodes, changes nothing and is skipped. The walks before it put values and resolved
    paths in place of nodes but never add a function node, so the text's tree decides it, once per kept tree."""
    kept = _FUNCTION_FREE.get(id(tree))
    if kept is not None and kept[0] is tree:
        return kept[1]
    node_class: Any = _node_class()
    function_class = importlib.import_module("moto.dynamodb.parsing.ast_nodes").UpdateExpressionFunction

    def calls_a_function(node: Any) -> bool:
        if not isinstance(node, node_class):
            return False
        if isinstance(node, function_class):
            return True
        return any(calls_a_function(child) for child in node.children or ())

    free = not calls_a_function(tree)
    if len(_FUNCTION_FREE) >= CHECKED_UPDATES:
        _FUNCTION_FREE.clear()
    _FUNCTION_FREE[id(tree)] = (tree, free)
    return free


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


class _ParsedConditions:
    """Condition expressions parsed once per text, names and the types of the values they use, the values bound per
    request: moto's parse reads a value's type (BETWEEN refuses NULL bounds) but never the value itself, which only
    the operator tree's `expr(item)` reads when the condition is evaluated. The tree is parsed with a placeholder for
    each value and copied per request with the request's values put in (a copy of a few objects where moto's parse
    walked its tokens eight times: 470 → 60-75 µs for a five-clause condition). The names and values the parser found
    in the text are kept with it. At most PARSED_EXPRESSIONS kept, the least recently used dropped."""

    def __init__(self) -> None:
        self._kept: OrderedDict[tuple[Any, ...], tuple[Any, list[str], list[str], dict[int, Any]]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> tuple[Any, list[str], list[str], dict[int, Any]] | None:
        with self._lock:
            parsed = self._kept.get(key)
            if parsed is not None:
                self._kept.move_to_end(key)
            return parsed

    def keep(self, key: tuple[Any, ...], parsed: tuple[Any, list[str], list[str], dict[int, Any]]) -> None:
        with self._lock:
            self._kept[key] = parsed
            while len(self._kept) > PARSED_EXPRESSIONS:
                self._kept.popitem(last=False)


class _Placeholder:
    """Stands for the value of one `:name` in a kept condition tree."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


_PLACEHOLDERS = re.compile(r"[:#]\w+")


@functools.lru_cache(maxsize=PARSED_EXPRESSIONS)
def _placeholders(expression: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The `#name` and `:value` placeholders a condition's text uses, each once, in order."""
    found = dict.fromkeys(_PLACEHOLDERS.findall(expression))
    return tuple(name for name in found if name[0] == "#"), tuple(name for name in found if name[0] == ":")


def _condition_key(parser: Any) -> tuple[Any, ...] | None:
    """What a condition's parse depends on (its text, the names it uses, the types of the values it uses), or None
    when a placeholder it uses is not given or a value is not one typed attribute value (moto's own parse answers)."""
    expression = parser.condition_expression
    names, values = parser.expression_attribute_names or {}, parser.expression_attribute_values or {}
    used_names, used_values = _placeholders(expression)
    try:
        named = tuple(names[name] for name in used_names)
        typed = tuple(values[value] for value in used_values)
    except (KeyError, TypeError):
        return None
    if not all(isinstance(name, str) for name in named) or not all(
        isinstance(value, dict) and len(value) == 1 for value in typed
    ):
        return None
    return expression, named, tuple(next(iter(value)) for value in typed)


def _parse_conditions_once() -> None:
    comparisons: Any = importlib.import_module("moto.dynamodb.comparisons")
    parser_class = comparisons.ConditionExpressionParser
    parse = parser_class.parse
    kept = _ParsedConditions()
    classes = (comparisons.AttributeValue, comparisons.Op, comparisons.Func)

    def parse_once(self: Any) -> Any:
        if not self.condition_expression:
            return parse(self)
        key = _condition_key(self)
        if key is None:
            return parse(self)
        parsed = kept.get(key)
        if parsed is None:
            parsed = _parse_with_placeholders(parser_class, parse, self, key)
            if parsed is None:
                return parse(self)  # moto's own parse, and its error if the text is not a condition
            kept.keep(key, parsed)
        template, names_found, values_found, without_values = parsed
        self.expr_attr_names_found.extend(names_found)
        self.expr_attr_values_found.extend(values_found)
        return _bound(template, self.expression_attribute_values, classes, dict(without_values))

    parse_once.__wrapped__ = parse  # type: ignore[attr-defined]
    parser_class.parse = parse_once


def _parse_with_placeholders(
    parser_class: Any, parse: Any, parser: Any, key: tuple[Any, ...]
) -> tuple[Any, list[str], list[str], dict[int, Any]] | None:
    """The condition's tree with a `_Placeholder` for each value, and the names and values found; None if moto's
    parse fails (it is then run on the request's own values to raise its error)."""
    expression, named, types = key
    used_names, used_values = _placeholders(expression)
    # Only what the key holds: a placeholder the text names in a way not seen here fails the parse (moto's answers).
    names = dict(zip(used_names, named, strict=True))
    values = {name: {kind: _Placeholder(name)} for name, kind in zip(used_values, types, strict=True)}
    template_parser = parser_class(expression, names, values)
    try:
        template = parse(template_parser)
    except Exception:  # noqa: BLE001 - the same parse on the real values raises what moto raises
        return None
    attribute_value = importlib.import_module("moto.dynamodb.comparisons").AttributeValue
    without_values: dict[int, Any] = {}
    _holds_values(template, attribute_value, without_values)
    return template, template_parser.expr_attr_names_found, template_parser.expr_attr_values_found, without_values


def _holds_values(node: Any, attribute_value: Any, without_values: dict[int, Any]) -> bool:
    """Whether a part of a kept tree holds a placeholder; each part that holds none goes into `without_values`
    (id → part): the copy a request gets shares those parts (nothing evaluating a condition changes them)."""
    if isinstance(node, attribute_value):
        holds = isinstance(node.value, _Placeholder)
    elif isinstance(node, tuple | list):
        holds = any([_holds_values(child, attribute_value, without_values) for child in node])
    elif hasattr(node, "__dict__"):
        holds = any([_holds_values(value, attribute_value, without_values) for value in vars(node).values()])
    else:
        holds = False
    if not holds:
        without_values[id(node)] = node
    return holds


def _bound(node: Any, values: dict[str, Any], classes: tuple[Any, Any, Any], memo: dict[int, Any]) -> Any:
    """A copy of a kept condition tree with each placeholder's value taken from `values`: operators and functions
    copied (through `memo`, as a function refers to its arguments twice), paths and literals shared (nothing changes
    them). `classes`: moto's AttributeValue, Op and Func."""
    copied = memo.get(id(node))
    if copied is not None:
        return copied
    attribute_value, operator, function = classes
    if isinstance(node, attribute_value):
        copied = attribute_value(values[node.value.name]) if isinstance(node.value, _Placeholder) else node
    elif isinstance(node, tuple | list):
        copied = type(node)(_bound(child, values, classes, memo) for child in node)
    elif isinstance(node, operator | function):
        copied = object.__new__(type(node))
        copied.__dict__.update({name: _bound(value, values, classes, memo) for name, value in vars(node).items()})
    else:
        copied = node
    memo[id(node)] = copied
    return copied
