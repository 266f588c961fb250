"""The local inline Map state runs its iterations on a bounded number of threads, as Step Functions bounds them.

moto's executor starts one worker thread per item when `MaxConcurrency` is 0 (unset), and `MaxConcurrency` threads
otherwise: a loop node over 20,000 items grew forge dev from 17 to about 970 threads before it failed with "can't
start new thread". Step Functions runs at most 40 iterations of an inline Map at a time, whatever `MaxConcurrency`
asks for; here a Map starts at most that many workers, never more than it has items, and they share its items.
Nested loops multiply that (40 iterations, each running a Map of 40: 1,600 threads), so all Maps of the process share
`SHARED_MAP_WORKERS` workers beyond the first of each: a Map always has one (so none waits on another for a thread),
and more while the shared ones last.

Each worker also took its next item by calling itself again, one Python frame per item it ran: a worker that ran
more than about 10,000 items died of a RecursionError and its execution stayed RUNNING for ever. It now takes them in a
loop. And every program (an iteration's, a branch's, the execution's) ran on a thread of its own that its caller
started only to wait for it, which only a program with `TimeoutSeconds` needs: the others run on the caller's thread,
so a running iteration costs one thread, not two.
"""

from __future__ import annotations

import threading
from typing import Any

INLINE_MAP_CONCURRENCY = 40
SHARED_MAP_WORKERS = 160
_installed = False


class WorkerSlots:
    """A count of worker threads that Maps take and give back."""

    def __init__(self, total: int) -> None:
        self.free = total
        self._lock = threading.Lock()

    def take(self, wanted: int) -> int:
        with self._lock:
            taken = max(0, min(wanted, self.free))
            self.free -= taken
            return taken

    def give_back(self, count: int) -> None:
        with self._lock:
            self.free += count


shared_workers = WorkerSlots(SHARED_MAP_WORKERS)


def map_workers(max_concurrency: int, items: int) -> int:
    """How many threads run a Map's iterations: `max_concurrency` (0: no limit), at most 40, at most one per item."""
    return min(max_concurrency or INLINE_MAP_CONCURRENCY, INLINE_MAP_CONCURRENCY, items)


def install_bounded_map() -> None:
    """Idempotent; part of the local Step Functions runtime."""
    global _installed
    if _installed:
        return
    from moto.stepfunctions.parser.asl.component.program.program import Program
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.inline_iteration_component import (
        InlineIterationComponent,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.iteration_worker import (
        IterationWorker,
    )

    eval_body = InlineIterationComponent._eval_body

    def eval_with_bounded_workers(self: Any, env: Any) -> None:
        eval_input = env.stack[-1]
        wanted = map_workers(eval_input.max_concurrency, len(eval_input.input_items))
        extra = shared_workers.take(wanted - 1)
        # moto reads 0 as one worker per item; an empty Map starts none either way.
        eval_input.max_concurrency = min(wanted, 1 + extra)
        try:
            eval_body(self, env)
        finally:
            shared_workers.give_back(extra)

    program_eval = Program.eval

    def eval_on_this_thread_unless_timed(self: Any, env: Any) -> None:
        if self.timeout_seconds:
            program_eval(self, env)
            return
        env.next_state_name = self.start_at.start_at_name
        super(Program, self).eval(env)

    InlineIterationComponent._eval_body = eval_with_bounded_workers  # type: ignore[method-assign]
    Program.eval = eval_on_this_thread_unless_timed  # type: ignore[method-assign]
    IterationWorker._eval_pool = _eval_jobs_in_turn  # type: ignore[method-assign]
    _installed = True


def _eval_jobs_in_turn(self: Any, job: Any, worker_frame: Any) -> None:
    """moto's `IterationWorker._eval_pool`, with its recursion (one call per job) turned into a loop."""
    while job is not None:
        job_frame = worker_frame.open_inner_frame()
        self._eval_job(env=job_frame, job=job)
        worker_frame.close_frame(job_frame)
        if isinstance(job.job_output, Exception) or self.stopped():
            self._env.close_frame(worker_frame)
            self._job_pool.close_job(job)
            return
        next_job = self._job_pool.next_job()
        if next_job is None:
            # The last job's events are the source of the states that follow, as in moto.
            worker_frame.event_history_context.source_event_id = job_frame.event_history_context.last_published_event_id
            self._env.close_frame(worker_frame)
            self._job_pool.close_job(job)
            return
        self._job_pool.close_job(job)
        job = next_job
    self._env.close_frame(worker_frame)
