"""Automatic rollback of a bad deploy, through the detector and the policy code the status path runs.

Each seeded run: version 1 runs 200 executions failing 2% of the time, then version 2 is deployed and runs until its
canary window (the policy's default 50 executions) is over. A bad version 2 fails 30% of its runs; a good one 2%, as
version 1 did. Targets: a bad deploy rolled back within the canary window in at least 95 of 100 runs; a good one in
none of 100. Durations (log-normal) and tokens ride along, so the other signals run as they would.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from shared.quality.detector import Outcome, WorkflowQualityState, observe
from shared.quality.policies import QualityAction, QualityPolicy, actions_for

RUNS = 100
BASELINE_EXECUTIONS = 200
BASELINE_FAILURE_RATE = 0.02
BAD_FAILURE_RATE = 0.30
POLICY = QualityPolicy(actions=[QualityAction.NOTIFY, QualityAction.ROLLBACK])
TARGET_BAD_ROLLED_BACK = 0.95


@dataclass(frozen=True)
class _Deploy:
    rolled_back_after: int | None


def _outcome(rng: random.Random, index: int, version: int, failure_rate: float) -> Outcome:
    return Outcome(
        execution_id=f"ex{index:05d}",
        version=version,
        failed=rng.random() < failure_rate,
        duration_ms=rng.lognormvariate(6.0, 0.3),
        tokens=None,
    )


def simulate_deploy(seed: int, new_failure_rate: float, policy: QualityPolicy = POLICY) -> _Deploy:
    """Version 2's executions until a rollback, or to the end of its canary window."""
    rng = random.Random(seed)
    state = WorkflowQualityState()
    settings = policy.detector_settings()
    for index in range(BASELINE_EXECUTIONS):
        observe(state, _outcome(rng, index, 1, BASELINE_FAILURE_RATE), settings)
    for canary_index in range(1, settings.canary_executions + 1):
        outcome = _outcome(rng, BASELINE_EXECUTIONS + canary_index, 2, new_failure_rate)
        for finding in observe(state, outcome, settings):
            if QualityAction.ROLLBACK in actions_for(finding, policy):
                return _Deploy(rolled_back_after=canary_index)
    return _Deploy(rolled_back_after=None)


def main() -> None:
    bad = [simulate_deploy(seed, BAD_FAILURE_RATE) for seed in range(RUNS)]
    good = [simulate_deploy(10_000 + seed, BASELINE_FAILURE_RATE) for seed in range(RUNS)]
    caught = [run.rolled_back_after for run in bad if run.rolled_back_after is not None]
    false_rollbacks = sum(run.rolled_back_after is not None for run in good)
    window = POLICY.canary_executions
    print(f"baseline: {BASELINE_EXECUTIONS} executions at {BASELINE_FAILURE_RATE:.0%} failures; canary window {window}")
    print(
        f"bad deploy ({BAD_FAILURE_RATE:.0%} failures): rolled back in {len(caught)}/{RUNS} runs "
        f"(target >= {TARGET_BAD_ROLLED_BACK:.0%}) {'OK' if len(caught) >= TARGET_BAD_ROLLED_BACK * RUNS else 'MISSED'}"
    )
    if caught:
        ordered = sorted(caught)
        print(
            f"  executions of the new version before the rollback: median {ordered[len(ordered) // 2]}, "
            f"max {ordered[-1]} (window {window})"
        )
    print(
        f"good deploy ({BASELINE_FAILURE_RATE:.0%} failures): rolled back in {false_rollbacks}/{RUNS} runs "
        f"(target 0) {'OK' if false_rollbacks == 0 else 'MISSED'}"
    )
