"""The anomaly job kind (sagemaker/anomaly/) as the registry declares it: the hyperparameters train.py takes, checked
before a job is created, and the metric regexes that read what it prints."""

from __future__ import annotations

import json
import re

import pytest

from shared.ml.job_kinds import ANOMALY, JOB_KINDS
from shared.ml.plans import JobRequest, plan_job
from shared.problems import ValidationFailed


def _plan(**request: object) -> dict:
    return plan_job(
        JobRequest.model_validate({"kind": "anomaly", **request}),
        bucket="platform-bucket",
        tenant_id=None,
        code_uri="s3://platform-bucket/ml/code/anomaly/sourcedir.tar.gz",
        region="us-east-1",
    )


def test_the_anomaly_kind_is_registered_once_with_its_code_folder() -> None:
    assert JOB_KINDS["anomaly"] is ANOMALY
    assert ANOMALY.source_folder == "anomaly"
    assert not ANOMALY.uses_gpu


def test_defaults_are_filled_in_as_the_json_strings_sagemaker_passes() -> None:
    hyperparameters = _plan(hyperparameters={"threshold": 5})["training"]["hyperparameters"]

    assert {name: json.loads(value) for name, value in hyperparameters.items()} == {
        "sagemaker_program": "train.py",
        "sagemaker_submit_directory": "s3://platform-bucket/ml/code/anomaly/sourcedir.tar.gz",
        "season_length": 24,
        "threshold": 5.0,
        "min_cycles": 3,
    }


def test_an_unknown_or_out_of_range_hyperparameter_is_a_422_naming_each() -> None:
    with pytest.raises(ValidationFailed) as refused:
        _plan(hyperparameters={"season_length": 24.5, "threshold": 50, "trees": 100})

    assert sorted(param.name for param in refused.value.invalid_params) == [
        "/body/hyperparameters/season_length",
        "/body/hyperparameters/threshold",
        "/body/hyperparameters/trees",
    ]


def test_a_gpu_instance_is_refused_for_the_anomaly_job() -> None:
    with pytest.raises(ValidationFailed) as refused:
        _plan(instance_type="ml.g5.xlarge")

    assert [param.name for param in refused.value.invalid_params] == ["/body/instance_type"]


def test_the_metric_definitions_read_what_train_py_prints() -> None:
    printed = "validation:series=2.000000;\nvalidation:points=672.000000;\nvalidation:anomaly_rate=0.004464;\n"

    read = {name: float(re.findall(regex, printed)[-1]) for name, regex in ANOMALY.metrics.items()}

    assert read == {"anomaly_rate": 0.004464, "series": 2.0, "points": 672.0}
