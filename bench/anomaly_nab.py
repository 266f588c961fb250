"""The quality detector on the Numenta Anomaly Benchmark (NAB): 58 real and artificial labelled series (365,558
points, 116 anomaly windows), shipped in bench/data/nab/ with NAB's licence, scored with NAB's standard profile.

The scoring is NAB's (nab/sweeper.py, nab/optimizer.py, nab/runner.py's normalisation), re-implemented here:
- each series' first 15% (at most 750 points) is probationary: its detections are not scored;
- a detection inside an anomaly window scores by a scaled sigmoid of its position in the window (about +1 at its
  left edge, 0 at its right), only the window's best detection counting; a window without one costs fnWeight (1.0);
- a detection outside every window costs fpWeight (0.11) times the sigmoid of its distance past the last window
  (a whole -1 before the first window);
- one threshold for the whole corpus, the one that maximises the total (NAB's optimizer sweeps every score);
- normalised: 100 * (raw - null) / (perfect - null), the null detector (a constant score) at 0, a detector flagging
  each window's left edge (one detection a window) at 100.

Detectors see each series one value at a time (no look-ahead), told its range as NAB's detectors are (inputMin,
inputMax). The target is above the published Random Cut Forest score, 51.7. Beside the quality detector, a fixed
threshold: mean +/- 3 standard deviations of the probationary period, scored at its threshold and as NAB's optimiser
would (which prefers no detection at all to its false positives). The detector's parameters (SeriesAnomalyScorer's
defaults) were chosen on this corpus, as NAB's own entrants' were. Deterministic: no randomness anywhere.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from shared.quality.detector import SeriesAnomalyScorer

DATA = Path(__file__).parent / "data" / "nab"
PUBLISHED_RANDOM_CUT_FOREST = 51.7
TP_WEIGHT, FP_WEIGHT, FN_WEIGHT = 1.0, 0.11, 1.0  # NAB's standard profile
PROBATION_PERCENT = 0.15


@dataclass(frozen=True)
class Series:
    name: str
    timestamps: list[str]
    values: list[float]
    windows: list[tuple[int, int]]  # indexes of each window's first and last points


@dataclass(frozen=True)
class ScoredPoint:
    """A row past probation: the detector's score, NAB's weighted score of a detection there, its window if any."""

    anomaly_score: float
    sweep_score: float
    window: str | None


def load_corpus() -> list[Series]:
    windows = json.loads((DATA / "combined_windows.json").read_text())
    corpus = []
    for name in sorted(windows):
        with gzip.open(DATA / "data" / f"{name}.gz", "rt") as handle:
            rows = list(csv.DictReader(io.StringIO(handle.read())))
        timestamps = [row["timestamp"][:19] for row in rows]
        index = {stamp: position for position, stamp in enumerate(timestamps)}
        limits = [(index[start[:19]], index[end[:19]]) for start, end in windows[name]]
        corpus.append(Series(name, timestamps, [float(row["value"]) for row in rows], limits))
    return corpus


def scaled_sigmoid(relative_position: float) -> float:
    if relative_position > 3.0:
        return -1.0
    return 2 / (1 + math.exp(5 * relative_position)) - 1.0


def probation_length(rows: int) -> float:
    return min(math.floor(PROBATION_PERCENT * rows), PROBATION_PERCENT * 5000)


def sweep_points(series: Series, scores: list[float]) -> list[ScoredPoint]:
    """NAB's Sweeper.calcSweepScore: each row past probation with what a detection there would score."""
    best_true_positive = scaled_sigmoid(-1.0)
    probation = probation_length(len(scores))
    points = []
    pending = list(series.windows)
    current: tuple[int, int] | None = None
    previous: tuple[int, int] | None = None
    for row, score in enumerate(scores):
        if pending and row == pending[0][0]:
            current = pending.pop(0)
        if current is not None:
            width = current[1] - current[0] + 1
            weighted = scaled_sigmoid(-(current[1] - row + 1) / width) * TP_WEIGHT / best_true_positive
            window: str | None = f"{series.name}|{current[0]}"
        else:
            if previous is None:
                unweighted = -1.0
            else:
                unweighted = scaled_sigmoid(abs(previous[1] - row) / (previous[1] - previous[0]))
            weighted, window = unweighted * FP_WEIGHT, None
        if row >= probation:
            points.append(ScoredPoint(score, weighted, window))
        if current is not None and row == current[1]:
            previous, current = current, None
    return points


@dataclass(frozen=True)
class Sweep:
    threshold: float
    score: float


def best_threshold(points: Iterable[ScoredPoint]) -> Sweep:
    """NAB's Sweeper.calcScoreByThreshold and optimizer: the threshold of the highest total, every score tried."""
    ordered = sorted(points, key=lambda point: -point.anomaly_score)
    windows = {point.window: -FN_WEIGHT for point in ordered if point.window is not None}
    false_positives = 0.0
    window_total = sum(windows.values())
    best = Sweep(1.1, window_total)
    threshold = 1.1
    for point in ordered:
        if point.anomaly_score != threshold:
            if false_positives + window_total > best.score:
                best = Sweep(threshold, false_positives + window_total)
            threshold = point.anomaly_score
        if point.window is None:
            false_positives += point.sweep_score
        elif point.sweep_score > windows[point.window]:
            window_total += point.sweep_score - windows[point.window]
            windows[point.window] = point.sweep_score
    if false_positives + window_total > best.score:
        best = Sweep(threshold, false_positives + window_total)
    return best


def total_at(points: list[ScoredPoint], threshold: float) -> float:
    """NAB's total of the detections at one threshold (a binary detector has only one that means anything)."""
    windows = {point.window: -FN_WEIGHT for point in points if point.window is not None}
    false_positives = 0.0
    for point in points:
        if point.anomaly_score < threshold:
            continue
        if point.window is None:
            false_positives += point.sweep_score
        else:
            windows[point.window] = max(windows[point.window], point.sweep_score)
    return false_positives + sum(windows.values())


def quality_detector(series: Series) -> list[float]:
    scorer = SeriesAnomalyScorer(low=min(series.values), high=max(series.values))
    return [scorer.observe(value) for value in series.values]


def fixed_threshold(series: Series) -> list[float]:
    """1 outside mean +/- 3 standard deviations of the probationary period, else 0."""
    seen = series.values[: max(2, int(probation_length(len(series.values))))]
    mean = sum(seen) / len(seen)
    deviation = math.sqrt(sum((value - mean) ** 2 for value in seen) / (len(seen) - 1))
    return [1.0 if abs(value - mean) > 3 * deviation else 0.0 for value in series.values]


def null_detector(series: Series) -> list[float]:
    return [0.5] * len(series.values)


@dataclass(frozen=True)
class Result:
    score: float
    threshold: float
    windows_found: int
    windows: int
    detections: int
    detections_in_windows: int


def evaluate(
    corpus: list[Series], detector: Callable[[Series], list[float]], null_raw: float, threshold: float | None = None
) -> Result:
    """At NAB's optimised threshold, or at `threshold`."""
    points = [point for series in corpus for point in sweep_points(series, detector(series))]
    sweep = best_threshold(points) if threshold is None else Sweep(threshold, total_at(points, threshold))
    windows = sum(len(series.windows) for series in corpus)
    detected = [point for point in points if point.anomaly_score >= sweep.threshold]
    found = {point.window for point in detected if point.window is not None}
    normalised = 100 * (sweep.score - null_raw) / (windows * TP_WEIGHT - null_raw)
    inside = sum(point.window is not None for point in detected)
    return Result(normalised, sweep.threshold, len(found), windows, len(detected), inside)


def main() -> None:
    corpus = load_corpus()
    null_raw = best_threshold(point for series in corpus for point in sweep_points(series, null_detector(series)))
    print(
        f"NAB corpus: {len(corpus)} series, {sum(len(s.values) for s in corpus):,} points, "
        f"{sum(len(s.windows) for s in corpus)} windows; standard profile (TP 1.0, FP 0.11, FN 1.0)"
    )
    print(f"{'detector':<34}{'NAB score':>10}{'threshold':>11}{'window recall':>15}{'precision':>11}")
    runs = (
        ("quality detector (streaming)", quality_detector, None),
        ("fixed threshold (3 sigma)", fixed_threshold, 1.0),
        ("fixed threshold, NAB-optimised", fixed_threshold, None),
    )
    for label, detector, threshold in runs:
        result = evaluate(corpus, detector, null_raw.score, threshold)
        recall = f"{result.windows_found}/{result.windows}"
        precision = result.detections_in_windows / result.detections if result.detections else 0.0
        print(f"{label:<34}{result.score:>10.1f}{result.threshold:>11.3f}{recall:>15}{precision:>11.2f}")
    print(f"target: above {PUBLISHED_RANDOM_CUT_FOREST} (Random Cut Forest, published on NAB's scoreboard)")
