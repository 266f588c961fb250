"""The anomaly job kind's settings: the hyperparameters train.py takes, checked before a job is created."""

from __future__ import annotations

import re

import pytest

from shared.problems import ValidationFailed
from shared.quality.anomaly_job import ANOMALY_JOB


def test_defaults_are_filled_in_as_the_strings_sagemaker_passes() -> None:
    assert ANOMALY_JOB.checked_hyperparameters({"threshold": 5}) == {
        "season_length": "24",
        "threshold": "5",
        "min_cycles": "3",
    }


def test_an_unknown_or_out_of_range_hyperparameter_is_a_422_naming_each() -> None:
    with pytest.raises(ValidationFailed) as refused:
        ANOMALY_JOB.checked_hyperparameters({"season_length": 24.5, "threshold": 50, "trees": 100})

    assert sorted(param.name for param in refused.value.invalid_params) == [
        "/hyperparameters/season_length",
        "/hyperparameters/threshold",
        "/hyperparameters/trees",
    ]


def test_the_metric_definitions_read_what_train_py_prints() -> None:
    printed = "validation:series=2.000000;\nvalidation:points=672.000000;\nvalidation:anomaly_rate=0.004464;\n"

    read = {name: float(re.findall(regex, printed)[-1]) for name, regex in ANOMALY_JOB.metric_definitions}

    assert read == {"anomaly_rate": 0.004464, "series": 2.0, "points": 672.0}
