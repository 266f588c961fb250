"""The forecast job's environment (built once, in .forge/ml-envs/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from devserver.sagemaker_training import REPOSITORY, JobEnvironments

FORECAST_JOB = REPOSITORY / "sagemaker" / "forecast"


@pytest.fixture(scope="session")
def forecast_python() -> Path:
    return JobEnvironments().python(FORECAST_JOB / "requirements.txt")


ANOMALY_JOB = REPOSITORY / "sagemaker" / "anomaly"


@pytest.fixture(scope="session")
def anomaly_python() -> Path:
    return JobEnvironments().python(ANOMALY_JOB / "requirements.txt")
