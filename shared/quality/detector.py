"""The streaming quality detector: per workflow version, constant-time statistics updated by each ended execution,
no model call. Its state is a small JSON document (a few numbers per signal) kept beside the workflow.

- Duration and tokens: a robust z-score against an exponentially weighted mean and mean absolute deviation
  (`RobustStream`), flagged above `z_threshold` after a warm-up, then quiet for a cooldown so one incident is one
  finding.
- Failure rate: the failures among the last 20 executions against the version's failure rate before them, as the
  binomial tail's surprise (-log10 of its probability), flagged from `failure_rate_surprise` on.
- Canary: a new version's failures against the previous version's failure rate, a one-sided CUSUM of the sequential
  probability ratio of Bernoulli failures (rate p0, the previous version's, against p1 = max(2 p0, p0 + 0.1)),
  over the version's first `canary_executions` executions; it crossing log((1 - beta) / alpha) is a
  `canary_failure_rate` finding, which the `rollback` policy acts on.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Signal(StrEnum):
    FAILURE_RATE = "failure_rate"
    DURATION = "duration"
    TOKENS = "tokens"
    CANARY_FAILURE_RATE = "canary_failure_rate"


# alpha = 0.001 (a good version rolled back), beta = 0.05 (a bad one kept): Wald's upper boundary.
CANARY_BOUNDARY = math.log(0.95 / 0.001)
# A baseline failure rate below this is taken as this: a previous version that never failed would otherwise make one
# failure of the new one a rollback.
MIN_BASELINE_FAILURE_RATE = 0.01
RECENT_WINDOW = 20


@dataclass
class RobustStream:
    """An exponentially weighted mean and mean absolute deviation; `score` is how many deviations a value lies from
    the mean, against the statistics before it."""

    alpha: float
    floor: float
    mean: float = 0.0
    deviation: float = 0.0
    count: int = 0

    def score(self, value: float) -> float:
        if self.count == 0:
            return 0.0
        # 1.25 mean absolute deviations are one standard deviation of a normal distribution.
        return abs(value - self.mean) / (1.25 * self.deviation + self.floor)

    def update(self, value: float) -> None:
        if self.count == 0:
            self.mean = value
        else:
            self.mean += self.alpha * (value - self.mean)
            self.deviation += self.alpha * (abs(value - self.mean) - self.deviation)
        self.count += 1


@dataclass
class SeriesAnomalyScorer:
    """Anomaly scores in [0, 1] for a metric series, one value at a time (the batch model's streaming counterpart,
    scored on NAB by bench/anomaly_nab.py): the largest of the value's robust z-score against slow statistics
    (`alpha`), `recent_weight` times its z-score against recent ones (`recent_alpha`: a new normal is learnt, what
    breaks it still shows) and `change_weight` times its change's, mapped by 1 - exp(-z / scale). Within `cooldown`
    values after an alert (a score above `alert_level`) only a higher score is reported: a level shift is one alert,
    not one per point. Values are first scaled by the series' expected range (`low`, `high`), so one threshold fits
    series of any unit. The defaults are the ones NAB scored best (bench/anomaly_nab.py)."""

    low: float
    high: float
    alpha: float = 0.001
    floor: float = 0.01
    change_weight: float = 0.6
    recent_alpha: float = 0.01
    recent_weight: float = 0.5
    scale: float = 10.0
    cooldown: int = 400
    alert_level: float = 0.4
    warm_up: int = 20
    level: RobustStream = field(init=False)
    recent: RobustStream = field(init=False)
    change: RobustStream = field(init=False)
    previous: float | None = None
    seen: int = 0
    since_alert: int = 1 << 30
    alert_score: float = 0.0

    def __post_init__(self) -> None:
        self.level = RobustStream(self.alpha, self.floor)
        self.recent = RobustStream(self.recent_alpha, self.floor)
        self.change = RobustStream(self.alpha, self.floor)

    def observe(self, raw_value: float) -> float:
        value = (raw_value - self.low) / ((self.high - self.low) or 1.0)
        step = value - self.previous if self.previous is not None else 0.0
        z = max(
            self.level.score(value),
            self.recent_weight * self.recent.score(value),
            self.change_weight * self.change.score(step),
        )
        score = 1.0 - math.exp(-z / self.scale) if self.seen > self.warm_up else 0.0
        self.level.update(value)
        self.recent.update(value)
        # The first value's change is 0: the changes' mean starts at no change, not at the second value's.
        self.change.update(step)
        self.previous = value
        self.seen += 1
        self.since_alert += 1
        if self.since_alert > self.cooldown:
            self.alert_score = 0.0
        reported = 0.0 if self.since_alert <= self.cooldown and score <= self.alert_score else score
        if reported > self.alert_level:
            self.since_alert, self.alert_score = 0, score
        return reported


@dataclass(frozen=True)
class DetectorSettings:
    z_threshold: float = 5.0
    failure_rate_surprise: float = 4.0
    warm_up: int = 20
    cooldown: int = 50
    alpha: float = 0.05
    canary_executions: int = 50


@dataclass(frozen=True)
class Outcome:
    """What an ended execution tells the detector."""

    execution_id: str
    version: int
    failed: bool
    duration_ms: float | None
    tokens: float | None


@dataclass(frozen=True)
class Finding:
    signal: Signal
    version: int
    score: float
    evidence: dict[str, Any]


@dataclass
class SignalState:
    stream: RobustStream
    quiet_for: int = 0
    # The failure rate's last RECENT_WINDOW outcomes, one bit each (1: failed).
    recent: int = 0


@dataclass
class VersionState:
    executions: int = 0
    failures: int = 0
    signals: dict[str, SignalState] = field(default_factory=dict)


@dataclass
class CanaryState:
    version: int
    baseline_version: int
    baseline_failure_rate: float
    executions: int = 0
    failures: int = 0
    statistic: float = 0.0
    decided: bool = False
    recent_failures: list[str] = field(default_factory=list)


@dataclass
class WorkflowQualityState:
    """Everything the detector keeps about one workflow: the versions it saw, and the canary of the newest."""

    versions: dict[str, VersionState] = field(default_factory=dict)
    canary: CanaryState | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, document: dict[str, Any] | None) -> WorkflowQualityState:
        if not document:
            return cls()
        versions = {
            key: VersionState(
                executions=value["executions"],
                failures=value["failures"],
                signals={
                    name: SignalState(RobustStream(**signal["stream"]), signal["quiet_for"], signal["recent"])
                    for name, signal in value["signals"].items()
                },
            )
            for key, value in document.get("versions", {}).items()
        }
        canary = document.get("canary")
        return cls(versions, CanaryState(**canary) if canary else None)


_FLOORS = {Signal.FAILURE_RATE: 0.0, Signal.DURATION: 0.05, Signal.TOKENS: 0.05}
# Versions older than the newest this many are forgotten: the state stays a few hundred bytes.
_KEPT_VERSIONS = 3
_EVIDENCE_EXECUTIONS = 10


def observe(state: WorkflowQualityState, outcome: Outcome, settings: DetectorSettings) -> list[Finding]:
    """Updates `state` with one ended execution; returns what it finds anomalous (each signal at most once per
    cooldown, the canary at most once per version)."""
    findings: list[Finding] = []
    canary = _follow_canary(state, outcome, settings)
    if canary is not None:
        findings.append(canary)
    version = state.versions.setdefault(str(outcome.version), VersionState())
    version.executions += 1
    version.failures += int(outcome.failed)
    values = {
        Signal.FAILURE_RATE: float(outcome.failed),
        # Logarithms: durations and token counts vary by factors, not by amounts.
        Signal.DURATION: math.log1p(outcome.duration_ms) if outcome.duration_ms is not None else None,
        Signal.TOKENS: math.log1p(outcome.tokens) if outcome.tokens else None,
    }
    for signal, value in values.items():
        if value is None:
            continue
        tracked = version.signals.setdefault(signal.value, SignalState(RobustStream(settings.alpha, _FLOORS[signal])))
        if signal is Signal.FAILURE_RATE:
            tracked.recent = ((tracked.recent << 1) | int(outcome.failed)) & ((1 << RECENT_WINDOW) - 1)
            score, rate = _failure_rate_surprise(tracked, version)
            threshold = settings.failure_rate_surprise
            evidence = {"recent_failures": bin(tracked.recent).count("1"), "earlier_failure_rate": rate}
        else:
            score, threshold = tracked.stream.score(value), settings.z_threshold
            evidence = {"value": math.expm1(value), "typical": math.expm1(tracked.stream.mean)}
        warm = tracked.stream.count >= settings.warm_up
        tracked.stream.update(value)
        if tracked.quiet_for > 0:
            tracked.quiet_for -= 1
        elif warm and score >= threshold:
            tracked.quiet_for = settings.cooldown
            found: dict[str, Any] = {key: round(number, 4) for key, number in evidence.items()}
            found |= {"execution_id": outcome.execution_id, "score": round(score, 2), "threshold": threshold}
            findings.append(Finding(signal, outcome.version, round(score, 2), found))
    _forget_old_versions(state)
    return findings


def _failure_rate_surprise(tracked: SignalState, version: VersionState) -> tuple[float, float]:
    """-log10 of the chance of at least the failures among the last `RECENT_WINDOW` executions at the version's
    failure rate before them (a binomial tail: 4 is a 1-in-10,000 run of failures), and that rate."""
    recent_runs = min(version.executions, RECENT_WINDOW)
    recent_failures = bin(tracked.recent).count("1")
    earlier_runs = version.executions - recent_runs
    if earlier_runs < RECENT_WINDOW:
        return 0.0, 0.0
    rate = min(max((version.failures - recent_failures) / earlier_runs, MIN_BASELINE_FAILURE_RATE), 0.99)
    tail = sum(
        math.comb(recent_runs, k) * rate**k * (1 - rate) ** (recent_runs - k)
        for k in range(recent_failures, recent_runs + 1)
    )
    return -math.log10(max(tail, 1e-300)), rate


def _follow_canary(state: WorkflowQualityState, outcome: Outcome, settings: DetectorSettings) -> Finding | None:
    canary = state.canary
    if canary is None or outcome.version > canary.version:
        canary = _start_canary(state, outcome.version)
        if canary is None:
            return None
    if outcome.version != canary.version or canary.decided or canary.executions >= settings.canary_executions:
        return None
    canary.executions += 1
    p0 = canary.baseline_failure_rate
    p1 = min(max(2 * p0, p0 + 0.1), 0.99)
    if outcome.failed:
        canary.failures += 1
        canary.recent_failures = [*canary.recent_failures, outcome.execution_id][-_EVIDENCE_EXECUTIONS:]
        canary.statistic += math.log(p1 / p0)
    else:
        canary.statistic += math.log((1 - p1) / (1 - p0))
    canary.statistic = max(canary.statistic, 0.0)
    if canary.statistic < CANARY_BOUNDARY:
        return None
    canary.decided = True
    return Finding(
        Signal.CANARY_FAILURE_RATE,
        canary.version,
        round(canary.statistic, 2),
        {
            "execution_id": outcome.execution_id,
            "baseline_version": canary.baseline_version,
            "baseline_failure_rate": round(p0, 4),
            "canary_executions": canary.executions,
            "canary_failures": canary.failures,
            "canary_failure_rate": round(canary.failures / canary.executions, 4),
            "log_likelihood_ratio": round(canary.statistic, 3),
            "boundary": round(CANARY_BOUNDARY, 3),
            "failed_executions": list(canary.recent_failures),
        },
    )


def _start_canary(state: WorkflowQualityState, version: int) -> CanaryState | None:
    """A version newer than every one seen is in its canary window against the newest version before it that ran;
    the first version of a workflow has nothing to be compared with."""
    earlier = [int(key) for key, seen in state.versions.items() if int(key) < version and seen.executions > 0]
    if not earlier:
        return None
    baseline = state.versions[str(max(earlier))]
    # Laplace's rule: a rate from few executions is pulled toward one half of one failure in their count.
    rate = (baseline.failures + 0.5) / (baseline.executions + 1)
    state.canary = CanaryState(version, max(earlier), max(rate, MIN_BASELINE_FAILURE_RATE))
    return state.canary


def _forget_old_versions(state: WorkflowQualityState) -> None:
    kept = sorted(state.versions, key=int)[-_KEPT_VERSIONS:]
    state.versions = {key: state.versions[key] for key in kept}
