"""Forecast training job: per series, AutoETS, AutoTheta or seasonal naive, chosen by rolling-origin cross-validation.

The SageMaker training contract (sagemaker/README.md): every path and setting comes from the `SM_*` environment. The
`train` channel holds CSV files with the header `series,timestamp,value`. Hyperparameters (strings, as SageMaker
passes them, or JSON values): `horizon` (steps ahead, 24 to 168), `season_length` (24), `folds` (3),
`interval_level` (0.9), and for the GPU variant `neural` (1 adds the N-HiTS candidate of neural.py, which needs torch;
0 by default) with `neural_epochs` (300). Each candidate is scored on `folds` held-out windows of `horizon` steps by
its mean absolute scaled error (MASE: its mean absolute error over the seasonal naive forecast's in-sample one), the
best is refitted on the whole series and its forecast with intervals is the model (`model.json`), beside the best's
forecasts of the held-out windows and what came (`validation`); `inference.py` serves both.
"""

from __future__ import annotations

import json
import math
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

try:
    import contract
except ModuleNotFoundError:  # run from the repository: sagemaker/contract.py, one folder up (packed beside it)
    sys.path.append(str(Path(__file__).resolve().parents[1]))
    import contract

JobError = contract.JobError

MIN_HORIZON, MAX_HORIZON = 24, 168
MAX_FOLDS = 10
MODEL_FILE = "model.json"
SEASONAL_NAIVE, AUTO_ETS, AUTO_THETA, NHITS = "seasonal_naive", "auto_ets", "auto_theta", "nhits"
HYPERPARAMETERS = {"horizon", "season_length", "folds", "interval_level", "neural", "neural_epochs"}
THETAS = (1.0, 2.0, 3.0)


@dataclass(frozen=True)
class Settings:
    horizon: int
    season_length: int
    folds: int
    interval_level: float
    neural: bool = False
    neural_epochs: int = 300


@dataclass(frozen=True)
class Forecast:
    mean: np.ndarray
    lower: np.ndarray
    upper: np.ndarray


def _hyperparameter(hyperparameters: dict[str, Any], name: str, default: Any, kind: type, low: Any, high: Any) -> Any:
    raw = hyperparameters.get(name, default)
    try:
        value = kind(raw)
    except (TypeError, ValueError):
        value = None
    if value is None or (kind is int and isinstance(raw, float | str) and str(raw).strip() != str(value)):
        raise JobError(f"hyperparameter {name} must be {'an integer' if kind is int else 'a number'}, got {raw!r}")
    if not low <= value <= high:
        raise JobError(f"hyperparameter {name} must be between {low} and {high}, got {raw!r}")
    return value


def read_settings(hyperparameters: dict[str, Any]) -> Settings:
    unknown = sorted(set(hyperparameters) - HYPERPARAMETERS)
    if unknown:
        raise JobError(f"unknown hyperparameter(s): {', '.join(unknown)}")
    level = _hyperparameter(hyperparameters, "interval_level", 0.9, float, 0.5, 0.99)
    return Settings(
        horizon=_hyperparameter(hyperparameters, "horizon", 24, int, MIN_HORIZON, MAX_HORIZON),
        season_length=_hyperparameter(hyperparameters, "season_length", 24, int, 1, 8760),
        folds=_hyperparameter(hyperparameters, "folds", 3, int, 1, MAX_FOLDS),
        interval_level=level,
        neural=_hyperparameter(hyperparameters, "neural", 0, int, 0, 1) == 1,
        neural_epochs=_hyperparameter(hyperparameters, "neural_epochs", 300, int, 1, 5000),
    )


def read_series(channel: Path) -> dict[str, pd.Series]:
    files = sorted(channel.rglob("*.csv"))
    if not files:
        raise JobError(f"the train channel has no CSV file (series,timestamp,value): {channel.name}")
    frame = pd.concat([pd.read_csv(path, dtype={"series": str}) for path in files], ignore_index=True)
    missing = {"series", "timestamp", "value"} - set(frame.columns)
    if missing:
        raise JobError(f"the train channel's CSV lacks column(s): {', '.join(sorted(missing))}")
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
    return {
        str(name): group.sort_values("timestamp").set_index("timestamp")["value"].astype(float)
        for name, group in frame.groupby("series", sort=True)
    }


def seasonal_naive(history: np.ndarray, settings: Settings) -> Forecast:
    m = min(settings.season_length, len(history) - 1)
    steps = np.arange(settings.horizon)
    mean = history[len(history) - m + steps % m]
    residuals = history[m:] - history[:-m]
    spread = _z(settings) * np.std(residuals, ddof=1) * np.sqrt(steps // m + 1)
    return Forecast(mean, mean - spread, mean + spread)


def auto_ets(history: np.ndarray, settings: Settings) -> Forecast:
    """The ETS model of additive errors (trend none or damped, seasonality none or additive) of the lowest AIC."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    seasonal = settings.season_length > 1 and len(history) >= 2 * settings.season_length + 2
    best: Any = None
    for trend in (None, "add"):
        for season in ("add", None) if seasonal else (None,):
            model = ETSModel(
                pd.Series(history),
                error="add",
                trend=trend,
                damped_trend=trend is not None,
                seasonal=season,
                seasonal_periods=settings.season_length if season else None,
                initialization_method="heuristic" if season else "estimated",
            )
            fitted = model.fit(disp=False, maxiter=200)
            if best is None or fitted.aic < best.aic:
                best = fitted
    frame = best.get_prediction(start=len(history), end=len(history) + settings.horizon - 1).summary_frame(
        alpha=1 - settings.interval_level
    )
    return Forecast(frame["mean"].to_numpy(), frame["pi_lower"].to_numpy(), frame["pi_upper"].to_numpy())


def auto_theta(history: np.ndarray, settings: Settings) -> Forecast:
    """statsmodels' Theta model (deseasonalized when its seasonality test finds a season), its theta among 1, 2 and 3
    chosen by the error on the history's last `horizon` steps, forecast from a model fitted on all of it."""
    chosen = 2.0  # the classic Theta method's, when the history is too short to choose
    if len(history) >= 2 * settings.horizon + 2 * settings.season_length:
        fitted = _theta_model(history[: -settings.horizon], settings)
        actual = history[-settings.horizon :]
        errors = {value: np.mean(np.abs(fitted.forecast(settings.horizon, theta=value) - actual)) for value in THETAS}
        chosen = min(errors, key=lambda value: float(errors[value]))
    fitted = _theta_model(history, settings)
    mean = np.asarray(fitted.forecast(settings.horizon, theta=chosen))
    bounds = np.asarray(fitted.prediction_intervals(settings.horizon, alpha=1 - settings.interval_level))
    # The intervals are the SES component's, centred on the chosen theta's forecast.
    centre = bounds.mean(axis=1)
    return Forecast(mean, mean + bounds[:, 0] - centre, mean + bounds[:, 1] - centre)


def _theta_model(history: np.ndarray, settings: Settings) -> Any:
    from statsmodels.tsa.forecasting.theta import ThetaModel

    period = settings.season_length if len(history) >= 2 * settings.season_length else 1
    method = "multiplicative" if bool(np.all(history > 0)) else "additive"
    return ThetaModel(history, period=period, deseasonalize=period > 1, method=method).fit()


def nhits(history: np.ndarray, settings: Settings) -> Forecast:
    try:
        import neural
    except ModuleNotFoundError:  # run from the repository, not from the packed source folder
        sys.path.append(str(Path(__file__).resolve().parent))
        import neural

    return Forecast(
        *neural.forecast(
            history, settings.horizon, settings.season_length, settings.interval_level, settings.neural_epochs
        )
    )


CANDIDATES: dict[str, Callable[[np.ndarray, Settings], Forecast]] = {
    SEASONAL_NAIVE: seasonal_naive,
    AUTO_ETS: auto_ets,
    AUTO_THETA: auto_theta,
}


def candidates(settings: Settings) -> dict[str, Callable[[np.ndarray, Settings], Forecast]]:
    """The statistical candidates, and N-HiTS in the GPU variant: kept only for the series where it wins."""
    return {**CANDIDATES, NHITS: nhits} if settings.neural else CANDIDATES


def mase(history: np.ndarray, actual: np.ndarray, predicted: np.ndarray, season_length: int) -> float:
    m = min(season_length, len(history) - 1)
    scale = float(np.mean(np.abs(history[m:] - history[:-m])))
    return float(np.mean(np.abs(actual - predicted))) / max(scale, 1e-12)


@dataclass(frozen=True)
class HeldOut:
    """One cross-validation window: where it starts in the series and a candidate's forecast of it from before."""

    start: int
    forecast: Forecast


def cross_validate(values: np.ndarray, settings: Settings) -> tuple[dict[str, float], dict[str, list[HeldOut]]]:
    """Candidate → mean MASE over the last `folds` windows of `horizon` steps, each forecast from the data before it;
    and candidate → its forecast of each window."""
    competing = candidates(settings)
    scores: dict[str, list[float]] = {name: [] for name in competing}
    held_out: dict[str, list[HeldOut]] = {name: [] for name in competing}
    for fold in range(settings.folds, 0, -1):
        cut = len(values) - fold * settings.horizon
        history, actual = values[:cut], values[cut : cut + settings.horizon]
        for name, candidate in competing.items():
            try:
                forecast = candidate(history, settings)
            except (ValueError, np.linalg.LinAlgError):
                forecast = Forecast(*(np.full(settings.horizon, np.nan) for _ in range(3)))
            score = mase(history, actual, forecast.mean, settings.season_length)
            scores[name].append(score if math.isfinite(score) else math.inf)
            # Scored as forecast; kept as published (the refitted model's forecast is never below zero either).
            held_out[name].append(HeldOut(cut, never_below_zero(forecast, history)))
    return {name: float(np.mean(fold_scores)) for name, fold_scores in scores.items()}, held_out


def _z(settings: Settings) -> float:
    return NormalDist().inv_cdf(0.5 + settings.interval_level / 2)


def _future_index(index: pd.DatetimeIndex, horizon: int) -> pd.DatetimeIndex:
    frequency = pd.infer_freq(index) if len(index) >= 3 else None
    if frequency is not None:
        return pd.date_range(index[-1], periods=horizon + 1, freq=frequency)[1:]
    step = index[-1] - index[-2]
    return pd.DatetimeIndex([index[-1] + step * (k + 1) for k in range(horizon)])


def points_needed(settings: Settings) -> int:
    return settings.folds * settings.horizon + 2 * settings.season_length + 2


def train_series(series: pd.Series, settings: Settings) -> dict[str, Any]:
    values = series.to_numpy()
    scores, held_out = cross_validate(values, settings)
    chosen = min(scores, key=lambda candidate: (scores[candidate], candidate != SEASONAL_NAIVE))
    forecast = never_below_zero(candidates(settings)[chosen](values, settings), values)
    timestamps = _future_index(pd.DatetimeIndex(series.index), settings.horizon)
    return {
        "model": chosen,
        "validation_mase": scores,
        "last_timestamp": series.index[-1].isoformat(),
        "forecast": [
            {"timestamp": stamp.isoformat(), "mean": float(mean), "lower": float(low), "upper": float(high)}
            for stamp, mean, low, high in zip(timestamps, forecast.mean, forecast.lower, forecast.upper, strict=True)
        ],
        "validation": _validation(series, held_out[chosen]),
    }


def _validation(series: pd.Series, windows: list[HeldOut]) -> list[dict[str, Any]]:
    """The chosen model's held-out windows, each step with what came: what a policy acting on the forecast (the
    scaling quantile, shared/forecasts/scaling.py) is backtested on. Windows it could not forecast are left out."""
    points = []
    for window in windows:
        steps = range(window.start, window.start + len(window.forecast.mean))
        for step, mean, upper in zip(steps, window.forecast.mean, window.forecast.upper, strict=True):
            if math.isfinite(mean) and math.isfinite(upper):
                stamp = series.index[step].isoformat()
                points.append(
                    {"timestamp": stamp, "actual": float(series.iloc[step]), "mean": float(mean), "upper": float(upper)}
                )
    return points


def never_below_zero(forecast: Forecast, history: np.ndarray) -> Forecast:
    """A series that never went below zero (counts, durations, tokens) is not forecast below it: a quiet workflow's
    interval would otherwise reach under zero executions."""
    if not bool(np.all(history >= 0)):
        return forecast
    return Forecast(
        mean=np.maximum(forecast.mean, 0.0),
        lower=np.maximum(forecast.lower, 0.0),
        upper=np.maximum(forecast.upper, 0.0),
    )


def train(hyperparameters: dict[str, Any], channel: Path, model_dir: Path) -> dict[str, float]:
    """Writes the model; returns the job's metrics (means over the series of the held-out MASE)."""
    settings = read_settings(hyperparameters)
    needed = points_needed(settings)
    # A new tenant's or workflow's series is forecast once it is long enough; until then it holds back no other.
    panel = {name: series for name, series in read_series(channel).items() if len(series) >= needed}
    if not panel:
        raise JobError(
            f"no series has {needed} points: {settings.folds} folds of horizon {settings.horizon} with "
            f"season_length {settings.season_length} need at least that many"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        models = {}
        for done, (name, series) in enumerate(panel.items(), start=1):
            models[name] = train_series(series, settings)
            # For the `progress` MetricDefinition: the API's percent and ETA of a running job.
            print(f"progress:percent={100 * done / len(panel):.1f};", flush=True)
    model = {"settings": settings.__dict__, "series": models}
    (model_dir / MODEL_FILE).write_text(json.dumps(model, indent=1))
    chosen = [entry["validation_mase"][entry["model"]] for entry in models.values()]
    baseline = [entry["validation_mase"][SEASONAL_NAIVE] for entry in models.values()]
    return {
        "mase": float(np.mean(chosen)),
        "seasonal_naive_mase": float(np.mean(baseline)),
        "relative_mase": float(np.mean(np.array(chosen) / np.maximum(baseline, 1e-12))),
        "series": float(len(models)),
    }


def main() -> int:
    return contract.run(lambda: train(contract.hyperparameters(), contract.channel("train"), contract.model_dir()))


if __name__ == "__main__":
    sys.exit(main())
