"""The evaluation gate: a model worse than the one in service is refused; the first model, or a better one, passes."""

from __future__ import annotations

import pytest

from shared.aws import sagemaker
from shared.ml.evaluation import evaluate_candidate


def _metrics(relative_mase: float) -> list[dict]:
    return [{"MetricName": "relative_mase", "Value": relative_mase}, {"MetricName": "mase", "Value": 0.5}]


@pytest.fixture
def in_service(monkeypatch: pytest.MonkeyPatch) -> dict[str, dict[str, str] | None]:
    approved: dict[str, dict[str, str] | None] = {"forge-forecast": None}
    monkeypatch.setattr(sagemaker, "approved_model_metadata", lambda group: approved[group])
    return approved


def test_the_first_model_is_accepted(in_service: dict) -> None:
    verdict = evaluate_candidate("forecast", "ml-1", _metrics(0.8))
    assert verdict["accepted"] is True
    assert verdict["metadata"] == {"relative_mase": "0.8", "mase": "0.5", "job_name": "ml-1"}


def test_a_worse_model_is_refused_with_both_values(in_service: dict) -> None:
    in_service["forge-forecast"] = {"relative_mase": "0.7", "job_name": "ml-0"}
    verdict = evaluate_candidate("forecast", "ml-1", _metrics(0.8))
    assert verdict["accepted"] is False
    assert verdict["reason"] == "relative_mase 0.8 is worse than 0.7 of the model in service (ml-0)"


def test_a_better_or_equal_model_is_accepted(in_service: dict) -> None:
    in_service["forge-forecast"] = {"relative_mase": "0.7", "job_name": "ml-0"}
    assert evaluate_candidate("forecast", "ml-1", _metrics(0.6))["accepted"] is True
    assert evaluate_candidate("forecast", "ml-2", _metrics(0.7))["accepted"] is True


def test_a_job_that_reported_no_evaluation_metric_is_refused(in_service: dict) -> None:
    verdict = evaluate_candidate("forecast", "ml-1", [{"MetricName": "mase", "Value": 0.5}])
    assert verdict == {
        "accepted": False,
        "reason": "the job reported no relative_mase",
        "metadata": {"mase": "0.5", "job_name": "ml-1"},
    }


def _losses(loss: float, base_loss: float) -> list[dict]:
    return [{"MetricName": "loss", "Value": loss}, {"MetricName": "base_loss", "Value": base_loss}]


def test_a_tuned_agent_model_worse_than_its_base_model_is_refused_whatever_the_registry_holds(in_service: dict) -> None:
    in_service["forge-agent-tuning"] = {"loss": "9.0", "job_name": "another-tenants-model"}

    refused = evaluate_candidate("agent_tuning", "tm-1", _losses(2.5, 2.4))
    accepted = evaluate_candidate("agent_tuning", "tm-2", _losses(2.0, 2.4))

    assert refused["accepted"] is False
    assert refused["reason"] == "loss 2.5 is worse than 2.4 of the model it would replace"
    assert accepted["accepted"] is True
    assert (
        evaluate_candidate("agent_tuning", "tm-3", _losses(2.0, 2.4)[:1])["reason"] == "the job reported no base_loss"
    )
