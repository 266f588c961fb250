"""The local inline Map runs its iterations on at most 40 threads, as Step Functions does, however many items."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from devserver import stepfunctions_map
from devserver.stepfunctions_map import INLINE_MAP_CONCURRENCY, WorkerSlots
from tests.integration.workflows.test_local_jsonata import machine
from tests.workflows.support import run


def map_state(max_concurrency: int, items: str, body: dict[str, Any], output: str) -> dict[str, Any]:
    return {
        "Type": "Map",
        "Items": items,
        "MaxConcurrency": max_concurrency,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, **body},
        "Output": output,
        "End": True,
    }


KEEP = {"StartAt": "keep", "States": {"keep": {"Type": "Pass", "End": True}}}
COUNT_AND_LAST = "{% {'count': $count($states.result), 'last': $states.result[-1]} %}"


def map_over_items(max_concurrency: int) -> dict[str, Any]:
    return machine({"each": map_state(max_concurrency, "{% $states.input.items %}", KEEP, COUNT_AND_LAST)}, "each")


def map_of_maps(outer_items: int, inner_items: int) -> dict[str, Any]:
    inner = map_state(0, f"{{% [1..{inner_items}] %}}", KEEP, "{% $count($states.result) %}")
    outer = map_state(
        0, f"{{% [1..{outer_items}] %}}", {"StartAt": "inner", "States": {"inner": inner}}, COUNT_AND_LAST
    )
    return machine({"outer": outer}, "outer")


@pytest.fixture
def threads_during_iterations(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The process's thread count as each iteration starts."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.iteration_worker import (
        IterationWorker,
    )

    counts: list[int] = []
    eval_job = IterationWorker._eval_job

    def counting(self: Any, env: Any, job: Any) -> None:
        counts.append(threading.active_count())
        eval_job(self, env, job)

    monkeypatch.setattr(IterationWorker, "_eval_job", counting)
    return counts


@pytest.fixture
def low_recursion_limit() -> Iterator[int]:
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(1_500)
    yield 1_500
    sys.setrecursionlimit(limit)


def test_a_map_without_a_concurrency_limit_runs_at_most_40_iterations_at_a_time(
    emulated_aws: object, threads_during_iterations: list[int]
) -> None:
    threads_before = threading.active_count()

    execution = run(map_over_items(0), {"items": list(range(3_000))}, timeout=120)

    assert execution["status"] == "SUCCEEDED", execution
    assert json.loads(execution["output"]) == {"count": 3_000, "last": 2_999}
    assert len(threads_during_iterations) == 3_000
    # The execution's worker thread, the Map state's own thread and its workers.
    assert max(threads_during_iterations) <= threads_before + 2 + INLINE_MAP_CONCURRENCY


def test_a_map_runs_more_items_on_one_worker_than_python_has_frames(
    emulated_aws: object, low_recursion_limit: int
) -> None:
    items = list(range(low_recursion_limit + 500))

    execution = run(map_over_items(1), {"items": items}, timeout=120)

    assert execution["status"] == "SUCCEEDED", execution
    assert json.loads(execution["output"]) == {"count": len(items), "last": items[-1]}


def test_nested_maps_share_their_workers_beyond_one_each(
    emulated_aws: object, threads_during_iterations: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = 8
    monkeypatch.setattr(stepfunctions_map, "shared_workers", WorkerSlots(shared))
    outer_items, inner_items = 6, 200
    threads_before = threading.active_count()

    execution = run(map_of_maps(outer_items, inner_items), {}, timeout=120)

    assert execution["status"] == "SUCCEEDED", execution
    assert json.loads(execution["output"]) == {"count": outer_items, "last": inner_items}
    assert len(threads_during_iterations) == outer_items * (1 + inner_items)
    maps = 1 + outer_items
    # The execution's worker, each Map state's own thread, one worker per Map and the shared ones.
    assert max(threads_during_iterations) <= threads_before + 1 + maps + maps + shared
