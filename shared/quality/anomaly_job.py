"""The anomaly training job's settings (sagemaker/anomaly/), for the ML jobs' registry of job kinds: where its code
is, what it runs on, which hyperparameters it takes within which bounds, and how its metrics are read."""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.problems import InvalidParam, ValidationFailed


@dataclass(frozen=True)
class HyperparameterRange:
    default: float
    low: float
    high: float
    integer: bool = False


@dataclass(frozen=True)
class AnomalyJobKind:
    name: str = "anomaly"
    source_dir: str = "sagemaker/anomaly"
    entry_point: str = "train.py"
    # Medians of hourly series: CPU, minutes at most; the scikit-learn framework container has numpy.
    framework: str = "sklearn"
    default_instance_type: str = "ml.m5.large"
    allowed_instance_types: tuple[str, ...] = ("ml.m5.large", "ml.m5.xlarge", "ml.c5.xlarge")
    max_runtime_seconds: int = 3600
    hyperparameters: dict[str, HyperparameterRange] = field(
        default_factory=lambda: {
            "season_length": HyperparameterRange(24, 1, 168, integer=True),
            "threshold": HyperparameterRange(4.0, 2.0, 20.0),
            "min_cycles": HyperparameterRange(3, 1, 52, integer=True),
        }
    )
    # The lines train.py prints, e.g. `validation:anomaly_rate=0.004100;`.
    metric_definitions: tuple[tuple[str, str], ...] = (
        ("anomaly_rate", r"validation:anomaly_rate=([0-9.eE+-]+);"),
        ("series", r"validation:series=([0-9.eE+-]+);"),
        ("points", r"validation:points=([0-9.eE+-]+);"),
    )

    def checked_hyperparameters(self, given: dict[str, float], pointer: str = "/hyperparameters") -> dict[str, str]:
        """The job's hyperparameters as SageMaker passes them (strings), defaults filled in; a 422 naming each bad
        one, the same bounds train.py enforces (so a job refused by the API never starts to fail)."""
        invalid = [
            InvalidParam(name=f"{pointer}/{name}", reason="unknown hyperparameter of the anomaly job")
            for name in sorted(set(given) - set(self.hyperparameters))
        ]
        values = {}
        for name, bounds in self.hyperparameters.items():
            value = given.get(name, bounds.default)
            if not bounds.low <= value <= bounds.high or (bounds.integer and value != int(value)):
                kind = "an integer" if bounds.integer else "a number"
                invalid.append(
                    InvalidParam(name=f"{pointer}/{name}", reason=f"{kind} from {bounds.low:g} to {bounds.high:g}")
                )
            values[name] = str(int(value)) if bounds.integer else str(value)
        if invalid:
            raise ValidationFailed(invalid, "The anomaly job's hyperparameters are invalid")
        return values


ANOMALY_JOB = AnomalyJobKind()
