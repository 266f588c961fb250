"""A job request checked against its kind: 422 naming the field, the cost cap turned into runtime, spot settings."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from shared.ml.job_kinds import FORECAST, INSTANCE_HOURLY_USD, JOB_KINDS, PYTORCH_GPU_TRAINING_IMAGE
from shared.ml.plans import SPOT_WAIT_SECONDS, JobRequest, plan_job
from shared.problems import ValidationFailed


def _plan(tenant_id: str | None = None, **request: object) -> dict:
    return plan_job(
        JobRequest.model_validate({"kind": "forecast", **request}),
        bucket="platform-bucket",
        tenant_id=tenant_id,
        code_uri="s3://platform-bucket/ml/code/forecast/sourcedir.tar.gz",
        region="us-east-1",
    )


def _invalid_fields(**request: Any) -> list[str]:
    with pytest.raises(ValidationFailed) as refused:
        _plan(**request)
    return [param.name for param in refused.value.invalid_params]


def test_unknown_kind_names_the_kind() -> None:
    assert _invalid_fields(kind="astrology") == ["/body/kind"]


def test_a_tenant_asking_for_a_platform_kind_is_told_which_kinds_it_may_start() -> None:
    with pytest.raises(ValidationFailed) as refused:
        _plan(tenant_id="tenant0001")
    assert [(param.name, param.reason) for param in refused.value.invalid_params] == [
        ("/body/kind", "a platform job kind, started by platform admins; one of: none yet")
    ]


def test_instance_type_outside_the_kinds_list_names_it() -> None:
    assert _invalid_fields(instance_type="ml.p4d.24xlarge") == ["/body/instance_type"]


def test_bad_hyperparameters_name_each_one() -> None:
    fields = _invalid_fields(hyperparameters={"horizon": 500, "folds": 1.5, "learning_rate": 0.1})
    assert fields == [f"/body/hyperparameters/{name}" for name in ("horizon", "folds", "learning_rate")]


def test_a_cost_cap_the_job_cannot_fit_names_the_cap() -> None:
    assert _invalid_fields(max_cost_usd=0.001) == ["/body/max_cost_usd"]


def test_the_cost_cap_becomes_the_runtime_at_the_instances_price_and_spot_waits_on_top() -> None:
    plan = _plan(max_cost_usd=0.23, instance_type="ml.m5.xlarge")
    assert INSTANCE_HOURLY_USD["ml.m5.xlarge"] == 0.23
    assert plan["training"]["stopping"] == {
        "MaxRuntimeInSeconds": 3600,
        "MaxWaitTimeInSeconds": 3600 + SPOT_WAIT_SECONDS,
    }
    assert plan["training"]["spot"] is True
    assert plan["training"]["checkpoint_prefix"] == "s3://platform-bucket/ml/checkpoints/forecast/"


def test_on_demand_has_no_wait_and_defaults_fill_the_hyperparameters() -> None:
    plan = _plan(spot=False, hyperparameters={"horizon": 48})
    assert "MaxWaitTimeInSeconds" not in plan["training"]["stopping"]
    assert plan["training"]["resources"]["InstanceType"] == FORECAST.default_instance_type
    hyperparameters = plan["training"]["hyperparameters"]
    assert hyperparameters["horizon"] == "48"
    assert hyperparameters["folds"] == "3"
    assert hyperparameters["sagemaker_program"] == '"train.py"'


def test_a_tenants_job_reads_only_the_tenants_series(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(JOB_KINDS, "forecast", replace(FORECAST, tenant_may_start=True))
    plan = _plan(tenant_id="tenant0001")
    uris = [channel["DataSource"]["S3DataSource"]["S3Uri"] for channel in plan["training"]["input"]]
    assert uris == ["s3://platform-bucket/ml/series/tenant=tenant0001/"]


def test_the_forecast_job_trains_in_the_scikit_learn_image_on_a_cpu_instance() -> None:
    plan = _plan()
    assert (
        plan["training"]["image"] == "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
    )
    assert plan["training"]["hyperparameters"]["neural"] == "0"


def test_the_neural_variant_on_a_gpu_instance_trains_in_the_pytorch_gpu_image() -> None:
    plan = _plan(instance_type="ml.g5.xlarge", hyperparameters={"neural": 1, "neural_epochs": 50})
    assert plan["training"]["image"] == PYTORCH_GPU_TRAINING_IMAGE.format(
        region="us-east-1", dlc_account="763104351884"
    )
    assert plan["training"]["image"] == "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.6.0-gpu-py312"
    assert plan["training"]["resources"]["InstanceType"] == "ml.g5.xlarge"
    assert plan["training"]["hyperparameters"]["neural"] == "1"
    assert plan["training"]["hyperparameters"]["neural_epochs"] == "50"


def test_the_neural_variant_on_a_cpu_instance_names_the_hyperparameter() -> None:
    with pytest.raises(ValidationFailed) as refused:
        _plan(instance_type="ml.m5.large", hyperparameters={"neural": 1})
    [problem] = refused.value.invalid_params
    assert problem.name == "/body/hyperparameters/neural"
    assert "ml.g5.xlarge" in problem.reason


def test_a_gpu_instance_without_the_neural_variant_names_the_instance_type() -> None:
    assert _invalid_fields(instance_type="ml.g5.xlarge") == ["/body/instance_type"]


def test_the_pytorch_image_comes_from_the_deep_learning_containers_registry_of_the_region() -> None:
    assert FORECAST.training_image_uri("eu-west-1", "ml.g5.xlarge").startswith("763104351884.dkr.ecr.eu-west-1.")
    assert FORECAST.training_image_uri("me-south-1", "ml.g5.xlarge").startswith("217643126080.dkr.ecr.me-south-1.")
