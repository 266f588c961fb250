"""How the local Step Functions runtime evaluates JSONata: with jsonata-python, bounded in time and depth, stopped
with its execution, and with regular expressions that can't hold up the rest of `forge dev`.

moto composes each expression as `($states := {...}; $var := ...; <expression>)` and hands the text to one
module-level function pointer, which this module's `evaluate_jsonata` fills. Unbounded, one expression stalled the
platform: a tail-recursive function ran for ever (and kept running after its execution was stopped), and a regular
expression that backtracks catastrophically (`/(a+)+$/` over "aaaa…b") held the GIL inside Python's `re` for the whole
match, so every request to forge dev waited for it, twice as long for each character of input.

- Time and depth: each evaluation may take `LIMITS.seconds` and nest `LIMITS.depth` levels (jsonata-python calls back
  on every step it evaluates). The depth limit sits below the point where jsonata-python would overflow Python's
  recursion limit (about 2,500 levels), so a runaway recursion is named as such.
- Stop: the same step check ends an evaluation whose execution was stopped or timed out (or whose Parallel branch or
  Map iteration ended): StopExecution ends the work, not only the record.
- Other requests: a long evaluation pauses for 0.2 ms (without the GIL) after every 2 ms of steps. Without the
  pause, a request waited up to the 5 ms switch interval for each of its I/O calls.
- Regular expressions are matched by the `regex` module, which releases the GIL while it matches (other requests go
  on) and gives up at a timeout: what remains of the evaluation's time (it measures loosely: a 10 s timeout ends
  after 10 to 17 s on a busy machine). A match that is under way when its execution is stopped ends then.

A failed evaluation fails its state with `States.QueryEvaluationError`, as Step Functions reports an expression that
fails, and an `EvaluationFailed` event; its cause says why (for a limit, which limit).

`$states` (the state's input, result and context) is bound to the evaluation by value: moto wrote it into the
expression's text as a JSON literal, which jsonata-python parsed and built again for every evaluation, in time
quadratic in an array's length (5 s for 20,000 numbers), so a large input would have run into the time limit.
Variables are still declared in the text, as JSON literals: moto quoted strings without escaping, which broke on `"`.

`$parse` deserialises a JSON string as Step Functions documents it (invalid JSON fails the evaluation); moto
declared it as `$eval`, which evaluated any text as an expression.

jsonata-python keeps one parser per thread, and building one (its symbol table, a copy per operator) was 12% of the
emulation's CPU under webhook load: moto runs each execution on a new thread, so each execution built its own.
Parsers not in use are kept here and lent to the thread that evaluates, one evaluation at a time, as a thread reuses
its own (a parser holds nothing of an expression once it has parsed it).

Each composed text was also parsed again at every evaluation (3% of the emulation's CPU under webhook load; the text
of a state's expression is the same in every execution unless the execution's variables are declared in it). The
parse tree of a text is kept (`TREES`) and each evaluation gets a fresh `Jsonata` around it, with its own frame,
bindings, clock for `$now()`, callbacks and bounds: evaluating reads the tree and never changes it. A text that fails
to parse is parsed, and fails, at every evaluation. Regular expression literals are compiled into the tree once, and
each match reads the bounds of the evaluation that runs it.
"""

from __future__ import annotations

import contextvars
import json
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

EXPRESSION_SHOWN_CHARS = 200
# A long evaluation pauses this long (without the GIL) after each RUN_SECONDS of steps.
RUN_SECONDS = 0.002
PAUSE_SECONDS = 0.0002
# The texts whose parse trees are kept, together and the longest one: a tree takes about 0.35 KiB a character of an
# expression (2.7 MiB for 8 KB of JSON declared as a variable), and a longer text declares an execution's variables.
KEPT_CHARS = 65_536
KEPT_TEXT_CHARS = 4_096


@dataclass(frozen=True)
class ExpressionLimits:
    seconds: float = 10.0
    depth: int = 2_000


LIMITS = ExpressionLimits()
# The environment (execution, branch or iteration frame) of the state whose expression is being evaluated.
_environment: contextvars.ContextVar[Any] = contextvars.ContextVar("jsonata_environment", default=None)
# What that state's expression binds by value (`states`), gathered as moto composes it.
_bindings: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("jsonata_bindings", default=None)
# The bounds of the evaluation under way, which the regular expressions of a kept tree match within.
_bounds: contextvars.ContextVar[EvaluationBounds] = contextvars.ContextVar("jsonata_bounds")
_installed = False


class ExpressionLimitExceeded(Exception):
    """An evaluation went past one of its limits; the message names the limit."""


class EvaluationStopped(Exception):
    """The execution (or branch, or iteration) the evaluation belongs to has ended."""


class EvaluationBounds:
    """One evaluation's budget, checked at every step jsonata-python evaluates."""

    def __init__(self, limits: ExpressionLimits, environment: Any) -> None:
        self.limits = limits
        self.environment = environment
        self.deadline = time.monotonic() + limits.seconds
        self.next_pause = time.monotonic() + RUN_SECONDS
        self.depth = 0
        self.exceeded: str | None = None
        self.stopped = False

    def enter(self, expression: Any, value: Any, frame: Any) -> None:
        if frame.is_parallel_call:
            return
        self.depth += 1
        if self.depth > self.limits.depth:
            self.exceed(f"it nested deeper than the limit of {self.limits.depth} levels")
        self.check()

    def leave(self, expression: Any, value: Any, frame: Any, result: Any) -> None:
        if not frame.is_parallel_call:
            self.depth -= 1

    def check(self) -> None:
        now = time.monotonic()
        if now >= self.next_pause:
            # Without it, p99 of /v1/health rose from about 20 to 280 ms while an evaluation ran (bench/).
            time.sleep(PAUSE_SECONDS)
            self.next_pause = now + RUN_SECONDS
        if now > self.deadline:
            self.exceed(f"it ran longer than the limit of {self.limits.seconds:g} seconds")
        if self.environment is not None and _has_ended(self.environment):
            self.stopped = True
            raise EvaluationStopped

    def exceed(self, reason: str) -> None:
        self.exceeded = reason
        raise ExpressionLimitExceeded(reason)

    def remaining_seconds(self) -> float:
        return max(self.deadline - time.monotonic(), 0.001)


def compile_bounded_regex(pattern: str, flags: Any) -> BoundedPattern:
    """jsonata-python's regex engine here: a regular expression literal, compiled as the text is parsed."""
    import regex  # type: ignore[import-untyped]

    options = (regex.IGNORECASE if flags.case_insensitive else 0) | (regex.MULTILINE if flags.multiline else 0)
    return BoundedPattern(regex.compile(pattern, options))


class BoundedPattern:
    """A compiled regular expression as jsonata-python calls it (search, finditer, sub, split), each match made
    without the GIL and within the remaining time of the evaluation that runs it."""

    def __init__(self, pattern: Any) -> None:
        self.pattern = pattern

    @property
    def bounds(self) -> EvaluationBounds:
        return _bounds.get()

    def _bounded(self, match: Callable[..., Any], *args: Any) -> Any:
        self.bounds.check()
        try:
            return match(*args, concurrent=True, timeout=self.bounds.remaining_seconds())
        except TimeoutError:
            self._exceeded()

    def _exceeded(self) -> None:
        self.bounds.exceed(f"a regular expression ran longer than the limit of {self.bounds.limits.seconds:g} seconds")

    def search(self, string: str) -> Any:
        return self._bounded(self.pattern.search, string)

    def finditer(self, string: str) -> Iterator[Any]:
        # The iterator matches as it is read, within the time it was given.
        matches = self._bounded(self.pattern.finditer, string)
        try:
            yield from matches
        except TimeoutError:
            self._exceeded()

    def sub(self, replacement: Any, string: str, count: int = 0) -> str:
        if isinstance(replacement, str):
            # jsonata-python reads re's wording of a group past the last ("$10" with one group is $1 and a 0); re
            # checks the replacement before it matches, so an empty text costs no backtracking.
            re.compile(self.pattern.pattern, self.pattern.flags & (re.IGNORECASE | re.MULTILINE)).sub(replacement, "")
        return str(self._bounded(self.pattern.sub, replacement, string, count))

    def split(self, string: str, maxsplit: int = 0) -> list[str]:
        return list(self._bounded(self.pattern.split, string, maxsplit))


def evaluate_jsonata(expression: str) -> Any:
    """Evaluates a composed expression within `LIMITS` and while its state's execution runs."""
    from jsonata import Jsonata  # type: ignore[import-untyped]
    from moto.stepfunctions.parser.asl.jsonata.jsonata import JSONataException

    bounds = EvaluationBounds(LIMITS, _environment.get())
    bounds_token = _bounds.set(bounds)
    try:
        with PARSERS.lent():
            # A fresh evaluator (frame, clock, callbacks) around the text's kept tree: see the module's docstring.
            compiled = Jsonata(expression, compile_bounded_regex)
            compiled.environment.set_evaluate_entry_callback(bounds.enter)
            compiled.environment.set_evaluate_exit_callback(bounds.leave)
            compiled.register_lambda("parse", parse_json)
            result = compiled.evaluate(None, _bindings.get() or None)
    except Exception as error:  # every evaluation failure is a JSONata error of the state
        # jsonata-python may wrap what a callback raised; the bounds know whether they ended it.
        if bounds.stopped:
            raise EvaluationStopped from error
        if bounds.exceeded is not None:
            raise ExpressionLimitExceeded(bounds.exceeded) from error
        raise JSONataException("UNKNOWN", str(error)) from error
    finally:
        _bounds.reset(bounds_token)
    # A JSON round trip turns jsonata-python's sequences into plain lists, as the JVM bridge's mapper does.
    return json.loads(json.dumps(result)) if result is not None else None


class KeptTrees:
    """The parse trees of the texts parsed last, per text and regex engine, up to `chars` characters of text in all
    (see the module's docstring)."""

    def __init__(self, chars: int) -> None:
        self._trees: OrderedDict[tuple[str, Any], Any] = OrderedDict()
        self._chars = chars
        self._kept_chars = 0
        self._lock = threading.Lock()
        self.parsed = 0

    def tree(self, parser: Any, text: str, regex_engine: Any) -> Any:
        key = (text, regex_engine)
        with self._lock:
            tree = self._trees.get(key)
            if tree is not None:
                self._trees.move_to_end(key)
                return tree
            self.parsed += 1
        tree = parser.parse(text, regex_engine)  # a text that fails to parse raises here, every time
        # `errors` is set only by a parse in recovery mode, which would keep the tree of a broken text.
        if len(text) <= KEPT_TEXT_CHARS and not tree.errors:
            with self._lock:
                if key not in self._trees:
                    self._kept_chars += len(text)
                self._trees[key] = tree
                while self._kept_chars > self._chars:
                    (oldest, _), _ = self._trees.popitem(last=False)
                    self._kept_chars -= len(oldest)
        return tree


TREES = KeptTrees(KEPT_CHARS)


class TreeKeepingParser:
    """A pooled jsonata-python parser as `Jsonata` sees it: `parse` answers a text with its kept tree. Evaluation
    reads only the parser's `dbg` flag (and names it as a lambda's owner)."""

    def __init__(self, parser: Any) -> None:
        self.parser = parser
        self.dbg = parser.dbg

    def parse(self, text: str, regex_engine: Any) -> Any:
        return TREES.tree(self.parser, text, regex_engine)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.parser, name)


class ParserPool:
    """jsonata-python's parsers not in use, lent to a thread for one evaluation (see the module's docstring)."""

    def __init__(self) -> None:
        self._idle: list[TreeKeepingParser] = []
        self._lock = threading.Lock()
        self.built = 0

    @contextmanager
    def lent(self) -> Iterator[None]:
        """This thread's evaluations inside use an idle parser (or a new one); it is idle again after."""
        from jsonata import Jsonata, parser

        local = Jsonata.PARSER  # the thread-local slot jsonata-python's `get_parser` reads
        held = getattr(local, "parser", None)
        if isinstance(held, TreeKeepingParser):  # lent already (an evaluation inside an evaluation)
            yield
            return
        with self._lock:
            lent = self._idle.pop() if self._idle else None
        if lent is None:
            lent = TreeKeepingParser(parser.Parser())
            self.built += 1
        local.parser = lent
        try:
            yield
        finally:
            # A parser of the thread's own (a workflow validated on it) is given back to it.
            if held is None:
                del local.parser
            else:
                local.parser = held
            with self._lock:
                self._idle.append(lent)


PARSERS = ParserPool()


def parse_json(text: str) -> Any:
    """Step Functions' `$parse`: JSON only, without the `NaN` and `Infinity` that JSON does not have."""
    return json.loads(text, parse_constant=_refuse_constant)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def encode_variable_declarations(bindings: dict[str, Any]) -> str:
    """`$name:=<JSON literal>;` for each binding, as moto composes declarations, with strings escaped."""
    from moto.stepfunctions.parser.asl.utils.encoding import to_json_str

    return "".join(f"{name}:={to_json_str(value, separators=(',', ':'))};" for name, value in bindings.items())


def bind_states(bindings: dict[str, Any]) -> str:
    """moto's `$states` declaration: bound by value while a state's expression is evaluated (declared otherwise)."""
    from moto.stepfunctions.parser.asl.utils.encoding import to_json_str

    bound = _bindings.get()
    if bound is None:
        return encode_variable_declarations(bindings)
    for name, value in bindings.items():
        # A copy, as the literal was: an evaluation must not change the execution's own data.
        bound[name.removeprefix("$")] = json.loads(to_json_str(value))
    return ""


def install_bounded_expressions() -> None:
    """Idempotent; part of the local Step Functions runtime."""
    global _installed
    if _installed:
        return
    from moto.stepfunctions.parser.asl.component.common.string.string_expression import (
        StringJSONata,
        StringVariableSample,
    )
    from moto.stepfunctions.parser.asl.component.intrinsic import jsonata as intrinsic_functions
    from moto.stepfunctions.parser.asl.eval import states
    from moto.stepfunctions.parser.asl.jsonata import jsonata

    states.encode_jsonata_variable_declarations = bind_states  # type: ignore[attr-defined]
    for component in (StringJSONata, StringVariableSample):
        component._eval_body = _failing_as_query_evaluation_error(component._eval_body)  # type: ignore[method-assign,assignment]
    jsonata._eval_jsonata = evaluate_jsonata
    # Its declaration would hide `parse_json`, which each evaluation registers.
    intrinsic_functions._DECLARATION_BY_VARIABLE_REFERENCE.pop("$parse", None)
    _installed = True


def _failing_as_query_evaluation_error(eval_body: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
    def eval_body_bounded(self: Any, env: Any) -> None:
        from moto.stepfunctions.parser.asl.jsonata.jsonata import JSONataException

        token = _environment.set(env)
        bindings = _bindings.set({})
        try:
            eval_body(self, env)
        except ExpressionLimitExceeded as exceeded:
            raise _query_evaluation_failure(env, self.expression, str(exceeded)) from exceeded
        except JSONataException as failed:
            raise _query_evaluation_failure(env, self.expression, str(failed.details)) from failed
        finally:
            _bindings.reset(bindings)
            _environment.reset(token)

    return eval_body_bounded


def _query_evaluation_failure(env: Any, expression: str, reason: str) -> Exception:
    """The failure Step Functions reports for an expression that fails, with its `EvaluationFailed` event."""
    from moto.stepfunctions.parser.api import EvaluationFailedEventDetails, HistoryEventType
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    shown = expression if len(expression) <= EXPRESSION_SHOWN_CHARS else expression[:EXPRESSION_SHOWN_CHARS] + "…"
    error_name = StatesErrorName(typ=StatesErrorNameType.StatesQueryEvaluationError)
    details = EvaluationFailedEventDetails(
        error=error_name.error_name, cause=f"The JSONata expression '{shown}' could not be evaluated: {reason}"
    )
    event_details = cast(EventDetails, {"evaluationFailedEventDetails": details})
    env.event_manager.add_event(
        context=env.event_history_context, event_type=HistoryEventType.EvaluationFailed, event_details=event_details
    )
    return FailureEventException(
        failure_event=FailureEvent(
            env=env, error_name=error_name, event_type=HistoryEventType.EvaluationFailed, event_details=event_details
        )
    )


def _has_ended(environment: Any) -> bool:
    from moto.stepfunctions.parser.asl.eval.program_state import ProgramError, ProgramStopped, ProgramTimedOut

    return isinstance(environment._program_state, ProgramStopped | ProgramTimedOut | ProgramError)
