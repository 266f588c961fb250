"""Which requirements file gives a local SageMaker job its environment: the GPU variant's in the PyTorch image."""

from __future__ import annotations

from devserver.sagemaker_training import REPOSITORY, requirements_of
from shared.ml.job_kinds import AGENT_TUNING, FORECAST

FORECAST_SOURCE = REPOSITORY / "sagemaker" / "forecast"


def test_the_forecast_job_in_the_pytorch_image_gets_the_requirements_with_torch() -> None:
    requirements = requirements_of(FORECAST_SOURCE, FORECAST.training_image_uri("us-east-1", "ml.g5.xlarge"))
    assert requirements == FORECAST_SOURCE / "requirements-gpu.txt"
    assert "torch==2.13.0" in requirements.read_text().splitlines()


def test_the_forecast_job_in_the_scikit_learn_image_gets_requirements_txt_without_torch() -> None:
    requirements = requirements_of(FORECAST_SOURCE, FORECAST.training_image_uri("us-east-1", "ml.m5.large"))
    assert requirements == FORECAST_SOURCE / "requirements.txt"
    assert not any(line.startswith("torch") for line in requirements.read_text().splitlines())


def test_a_kind_without_a_gpu_requirements_file_keeps_its_requirements_txt() -> None:
    source = REPOSITORY / "sagemaker" / AGENT_TUNING.source_folder
    assert requirements_of(source, AGENT_TUNING.training_image_uri("us-east-1")) == source / "requirements.txt"
