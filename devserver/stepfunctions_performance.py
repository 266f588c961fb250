"""What moto's Step Functions executor does per execution that it need not, for `forge dev` under load.

- JSONPath: moto's `ResultPath` and path extraction call `jsonpath_ng.parse` for every state they evaluate, and that
  builds a new PLY parser (its tables) each time: 6% of forge dev's time under webhook load. Parsed paths are
  immutable expression trees, so each distinct path is parsed once and the tree reused.
- ASL: every execution parses its state machine's definition again with ANTLR (lexer, parser and its prediction
  tables: 5% of the emulation process's time under webhook load). The parse tree of a definition's text is kept (keyed
  by the text itself, so another version or an update is another key); the evaluation components, which a running
  execution changes (a Parallel state counts its branches on them), are still built afresh for each execution.
  Building them asks nodes of the kept tree for their text, which ANTLR rebuilds from every token under the node at
  each call (a state's text, then each of its fields' again: 5% of the emulation's time under webhook load); a kept
  tree no longer changes, so each node's text is put together once, when the tree is kept.
- Names: StartExecution refuses a name a state machine's execution already has (or answers with it, when it is still
  running with the same input), and moto looked for the name by walking every execution the machine ever had (2% of
  the emulation's CPU after 2,500 executions, and growing). Each machine's executions are indexed by name as they are
  appended (moto only appends to the list; another list, or a shorter one, is indexed again from the start).
- Snapshots: each execution runs on a deep copy of its state machine taken when it starts, and moto's copy took every
  published version along (about 13 µs a version: 265 µs an execution for a workflow published 20 times). The
  execution reads only the machine's own fields (name, ARNs, definition, type, role, configurations); its copy now
  leaves the versions, the aliases and the latest version out, as moto's already leaves the executions out.
- An execution's thread: moto starts a thread for each execution (about 40 µs of CPU to start one and see it end,
  and the StartExecution that starts it waits for it to begin). Threads that have run an execution wait
  `IDLE_THREAD_SECONDS` for the next one (`EXECUTION_THREADS`); a start with none waiting starts a thread as moto does,
  so every execution still has a thread of its own from its start (no queue: a waiting execution never holds up
  another). Each runs in a fresh context, as a new thread would. Its Parallel branches, Map iterations and
  `TimeoutSeconds` programs run as before.
- Threads: every execution appends its worker threads to a module-level list (`TMP_THREADS`) that nothing ever reads
  or empties, so it grew by two `Thread` objects per execution for the life of the process. Here it keeps only the
  threads still running.

The executor still runs every state of the real definition; only repeated work and dead references are gone.
"""

from __future__ import annotations

import contextvars
import copy
import functools
import importlib
import logging
import queue
import threading
import types
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

_JSONPATH_MODULES = (
    "moto.stepfunctions.parser.asl.component.common.path.result_path",
    "moto.stepfunctions.parser.asl.utils.json_path",
)
_THREAD_LIST_MODULES = (
    "moto.stepfunctions.parser.utils",
    "moto.stepfunctions.parser.backend.execution_worker",
    "moto.stepfunctions.parser.asl.component.program.program",
    "moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.inline_iteration_component",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_callback",
    "moto.stepfunctions.parser.asl.component.state.exec.state_parallel.branch_worker",
    "moto.stepfunctions.parser.asl.component.test_state.program.test_state_program",
)
PARSED_PATHS = 4096
PARSED_DEFINITIONS = 256
IDLE_THREAD_SECONDS = 10.0
_installed = False
logger = logging.getLogger("nexus_forge.local")
# moto's own name check (a walk over every execution), which the indexed one answers as; tests compare the two.
MOTOS_NAME_CHECK: Any = None


class LiveThreads(list[threading.Thread]):
    """A thread list that forgets finished threads as new ones are added."""

    prune_at = 64

    def append(self, thread: threading.Thread) -> None:
        if len(self) >= self.prune_at:
            self[:] = [running for running in self if running.is_alive()]
            # Prune again only once as many threads as are running now have been added.
            self.prune_at = max(64, 2 * len(self))
        super().append(thread)


def install_stepfunctions_performance() -> None:
    """Idempotent; call before moto executes a state machine."""
    global _installed
    if _installed:
        return
    for name in _JSONPATH_MODULES:
        module = importlib.import_module(name)
        module.parse = _cached(module.parse)  # type: ignore[attr-defined]
    _parse_definitions_once()
    _find_execution_names_by_index()
    _snapshot_machines_without_their_versions()
    _run_executions_on_kept_threads()
    live = LiveThreads()
    for name in _THREAD_LIST_MODULES:
        module = importlib.import_module(name)
        live.extend(thread for thread in getattr(module, "TMP_THREADS", []) if thread.is_alive())
        setattr(module, "TMP_THREADS", live)  # noqa: B010 - moto's modules are untyped here
    _installed = True


def _cached(parse: Any) -> Any:
    @functools.lru_cache(maxsize=PARSED_PATHS)
    def parse_once(path: str) -> Any:
        return parse(path)

    return parse_once


KEPT_TEXT = "forge_kept_text"


def _keep_texts(tree: Any) -> None:
    """Puts each rule node's text of a finished parse tree together once, from its children's (tokens' texts are
    their own), and keeps it on the node. Upstream: antlr4-python3-runtime's `RuleContext.getText`, which moto's
    Preprocessor (moto/stepfunctions/parser/asl/parse/preprocessor.py) calls on every node it visits."""
    from antlr4.RuleContext import RuleContext  # type: ignore[import-untyped]

    pending: list[tuple[Any, bool]] = [(tree, False)]
    while pending:
        node, children_done = pending.pop()
        if not isinstance(node, RuleContext) or not hasattr(node, "__dict__"):
            continue
        children = list(node.getChildren())
        if not children_done:
            pending.append((node, True))
            pending.extend((child, False) for child in children)
            continue
        setattr(node, KEPT_TEXT, "".join(child.getText() for child in children))


def _parse_definitions_once() -> None:
    from antlr4.RuleContext import RuleContext
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
    from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor

    parse = AmazonStateLanguageParser.parse
    rebuild_text = RuleContext.getText

    def kept_or_rebuilt_text(context: Any) -> str:
        kept: str | None = getattr(context, KEPT_TEXT, None)
        return kept if kept is not None else rebuild_text(context)

    RuleContext.getText = kept_or_rebuilt_text

    @functools.lru_cache(maxsize=PARSED_DEFINITIONS)
    def parse_tree(definition: str) -> Any:
        tree = parse(definition)[1]
        _keep_texts(tree)
        return tree

    def parse_with_fresh_components(definition: str) -> tuple[Any, Any]:
        tree = parse_tree(definition)
        return Preprocessor().visit(tree), tree

    AmazonStateLanguageParser.parse = staticmethod(parse_with_fresh_components)  # type: ignore[method-assign]


@dataclass
class _NameIndex:
    """The first execution of each name among the first `indexed` of a state machine's execution list."""

    executions: list[Any]
    indexed: int = 0
    by_name: dict[str, Any] = field(default_factory=dict)


_name_indexes: weakref.WeakKeyDictionary[Any, _NameIndex] = weakref.WeakKeyDictionary()
_name_indexes_lock = threading.Lock()


def execution_named(machine: Any, name: str) -> Any:
    """The first of `machine.executions` named `name`, as moto's walk over the list finds it, or None."""
    executions = machine.executions
    with _name_indexes_lock:
        index = _name_indexes.get(machine)
        if index is None or index.executions is not executions or index.indexed > len(executions):
            index = _name_indexes[machine] = _NameIndex(executions)
        appended = executions[index.indexed :]
        for execution in appended:
            index.by_name.setdefault(execution.name, execution)
        index.indexed += len(appended)
        return index.by_name.get(name)


def _find_execution_names_by_index() -> None:
    global MOTOS_NAME_CHECK
    from moto.stepfunctions import models
    from moto.stepfunctions.exceptions import ExecutionAlreadyExists

    MOTOS_NAME_CHECK = models.StateMachine._handle_name_input_idempotency

    def handle_name_input_idempotency(self: Any, name: str, execution_input: str) -> Any:
        execution = execution_named(self, name)
        if execution is None:
            return None
        # Executions with the same name and input are considered idempotent (moto's rule, as it wrote it).
        if execution_input == execution.execution_input and execution.status == "RUNNING":
            return execution
        raise ExecutionAlreadyExists("Execution Already Exists: '" + execution.execution_arn + "'")

    models.StateMachine._handle_name_input_idempotency = handle_name_input_idempotency  # type: ignore[method-assign]


# What an execution's snapshot of its state machine leaves out, and what it holds instead.
SNAPSHOT_LEAVES_OUT: dict[str, Callable[[], Any]] = {"versions": dict, "aliases": dict, "latest_version": lambda: None}


def snapshot_for_execution(machine: Any, memo: dict[int, Any]) -> Any:
    """`copy.deepcopy` as moto's StartExecution calls it (`memo` already sharing the backend and leaving the
    executions out), leaving the machine's versions and aliases out too."""
    for name, empty in SNAPSHOT_LEAVES_OUT.items():
        if hasattr(machine, name):
            memo[id(getattr(machine, name))] = empty()
    return copy.deepcopy(machine, memo)


def _snapshot_machines_without_their_versions() -> None:
    from moto.stepfunctions.parser import models

    # The module's only use of `copy` is the snapshot in `start_execution`.
    setattr(models, "copy", types.SimpleNamespace(deepcopy=snapshot_for_execution))  # noqa: B010 - untyped here


class KeptThreads:
    """Threads kept after the work they ran, each waiting `idle_seconds` for more; work given when none waits starts
    a new one."""

    def __init__(self, idle_seconds: float) -> None:
        self.idle_seconds = idle_seconds
        self._waiting: list[queue.SimpleQueue[Callable[[], None]]] = []
        self._lock = threading.Lock()
        self.started = 0

    def run(self, work: Callable[[], None]) -> None:
        with self._lock:
            mailbox = self._waiting.pop() if self._waiting else None
            if mailbox is None:
                self.started += 1
        if mailbox is not None:
            mailbox.put(work)
            return
        threading.Thread(target=self._serve, args=(work,), name="execution", daemon=True).start()

    def _serve(self, work: Callable[[], None]) -> None:
        mailbox: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        while True:
            try:
                contextvars.Context().run(work)  # the empty context a new thread starts with
            except Exception:
                logger.exception("an execution's thread failed")
            del work
            with self._lock:
                self._waiting.append(mailbox)
            try:
                work = mailbox.get(timeout=self.idle_seconds)
            except queue.Empty:
                with self._lock:
                    if mailbox in self._waiting:
                        self._waiting.remove(mailbox)
                        return
                work = mailbox.get()  # taken just as it gave up: its work is on the way


EXECUTION_THREADS = KeptThreads(IDLE_THREAD_SECONDS)


def _run_executions_on_kept_threads() -> None:
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    def start(self: Any) -> None:
        EXECUTION_THREADS.run(self._execution_logic)

    ExecutionWorker.start = start  # type: ignore[method-assign]
