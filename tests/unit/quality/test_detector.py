"""The streaming detector: what one ended execution at a time makes it find, and what it keeps quiet about."""

from __future__ import annotations

import json
import random

from shared.quality.detector import DetectorSettings, Outcome, Signal, WorkflowQualityState, observe
from shared.quality.policies import QualityAction, QualityPolicy, actions_for

SETTINGS = DetectorSettings()


def _run(state: WorkflowQualityState, version: int, failures: list[bool], *, duration_ms: float = 400.0) -> list:
    findings = []
    for index, failed in enumerate(failures):
        outcome = Outcome(f"v{version}-{index}", version, failed, duration_ms, None)
        findings += observe(state, outcome, SETTINGS)
    return findings


def _healthy(count: int, seed: int = 1) -> list[bool]:
    rng = random.Random(seed)
    return [rng.random() < 0.02 for _ in range(count)]


def test_a_new_version_failing_a_third_of_its_runs_is_a_canary_finding_against_the_previous_version() -> None:
    state = WorkflowQualityState()
    _run(state, 1, _healthy(200))

    findings = _run(state, 2, [index % 3 == 0 for index in range(40)])

    canary = [finding for finding in findings if finding.signal is Signal.CANARY_FAILURE_RATE]
    assert len(canary) == 1
    assert canary[0].version == 2
    assert canary[0].evidence["baseline_version"] == 1
    assert canary[0].evidence["canary_executions"] <= SETTINGS.canary_executions
    assert canary[0].evidence["failed_executions"]


def test_a_new_version_as_healthy_as_the_previous_one_is_never_a_canary_finding() -> None:
    state = WorkflowQualityState()
    _run(state, 1, _healthy(200))

    findings = _run(state, 2, _healthy(200, seed=2))

    assert [finding for finding in findings if finding.signal is Signal.CANARY_FAILURE_RATE] == []


def test_failures_after_the_canary_window_are_no_canary_finding_but_a_failure_rate_one() -> None:
    state = WorkflowQualityState()
    _run(state, 1, _healthy(100))
    _run(state, 2, [False] * SETTINGS.canary_executions)

    findings = _run(state, 2, [True] * 10)

    assert [finding.signal for finding in findings] == [Signal.FAILURE_RATE]


def test_a_run_of_failures_is_one_finding_per_cooldown_not_one_per_failure() -> None:
    state = WorkflowQualityState()
    _run(state, 1, [False] * 100)

    findings = _run(state, 1, [True] * 30)

    assert [finding.signal for finding in findings] == [Signal.FAILURE_RATE]
    assert findings[0].evidence["recent_failures"] >= 2


def test_a_duration_ten_times_the_usual_is_a_duration_finding_with_its_evidence() -> None:
    state = WorkflowQualityState()
    rng = random.Random(3)
    for index in range(100):
        observe(state, Outcome(f"e{index}", 1, False, rng.lognormvariate(6.0, 0.1), None), SETTINGS)

    findings = observe(state, Outcome("slow", 1, False, 4000.0, None), SETTINGS)

    assert [finding.signal for finding in findings] == [Signal.DURATION]
    assert findings[0].evidence["execution_id"] == "slow"
    assert 300 < findings[0].evidence["typical"] < 600


def test_the_state_survives_a_json_round_trip_and_goes_on_where_it_was() -> None:
    state = WorkflowQualityState()
    _run(state, 1, _healthy(200))
    _run(state, 2, [True, False, True])

    restored = WorkflowQualityState.from_json(json.loads(json.dumps(state.to_json())))

    assert restored == state


def test_a_rollback_answers_only_a_canary_finding_and_only_when_the_policy_asks() -> None:
    state = WorkflowQualityState()
    _run(state, 1, _healthy(200))
    canary = next(f for f in _run(state, 2, [True] * 20) if f.signal is Signal.CANARY_FAILURE_RATE)
    rate = next(
        f for f in _run(WorkflowQualityState(), 1, [False] * 50 + [True] * 10) if f.signal is Signal.FAILURE_RATE
    )
    policy = QualityPolicy(actions=[QualityAction.ROLLBACK, QualityAction.NOTIFY, QualityAction.RETRY_FAILED])

    assert actions_for(canary, policy) == [QualityAction.NOTIFY, QualityAction.ROLLBACK, QualityAction.RETRY_FAILED]
    assert actions_for(rate, policy) == [QualityAction.NOTIFY]
    assert actions_for(canary, QualityPolicy()) == [QualityAction.NOTIFY]
