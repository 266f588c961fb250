"""The cost estimate prices paths with the recorded us-east-1 prices, worked out here by hand."""

from __future__ import annotations

import pytest

from shared.workflows.cost import PRICE_SOURCE, PRICES_RECORDED_ON, AssumedTokens, estimate_cost

LAMBDA = "arn:aws:states:::lambda:invoke"


def test_two_pass_states_cost_two_transitions_or_one_express_request() -> None:
    estimate = estimate_cost(
        {"StartAt": "a", "States": {"a": {"Type": "Pass", "Next": "b"}, "b": {"Type": "Pass", "End": True}}}
    )
    assert estimate.shortest == estimate.longest
    # Standard: 2 transitions x $0.025 / 1,000 = $0.00005 per execution.
    assert estimate.longest.standard_usd_per_million_executions == pytest.approx(50.00)
    # Express: $1.00 per 1M requests + 2 states x 0.1 s x 64 MB x $0.00001667 per GB-second.
    assert estimate.longest.express_usd_per_million_executions == pytest.approx(1.00 + 0.21, abs=0.005)


def test_a_choice_prices_its_shortest_and_longest_path_with_lambda_invocations() -> None:
    estimate = estimate_cost(
        {
            "StartAt": "pick",
            "States": {
                "pick": {"Type": "Choice", "Choices": [{"Condition": "{% true %}", "Next": "call"}], "Default": "done"},
                "call": {"Type": "Task", "Resource": LAMBDA, "Next": "done"},
                "done": {"Type": "Succeed"},
            },
        }
    )
    assert (estimate.shortest.state_transitions, estimate.shortest.lambda_invocations) == (2, 0)
    assert (estimate.longest.state_transitions, estimate.longest.lambda_invocations) == (3, 1)
    # One invocation: $0.20 / 1M requests + 0.2 s x 256 MB x $0.0000166667 per GB-second = $1.03 per 1M.
    assert estimate.longest.standard_usd_per_million_executions == pytest.approx(75.00 + 1.03, abs=0.005)
    assert estimate.shortest.standard_usd_per_million_executions == pytest.approx(50.00)


def test_a_loop_back_is_priced_as_one_pass() -> None:
    estimate = estimate_cost(
        {
            "StartAt": "begin",
            "States": {
                "begin": {"Type": "Pass", "Next": "turn"},
                "turn": {"Type": "Task", "Resource": LAMBDA, "Next": "route"},
                "route": {
                    "Type": "Choice",
                    "Choices": [{"Condition": "{% true %}", "Next": "tools"}],
                    "Default": "done",
                },
                "tools": {"Type": "Task", "Resource": LAMBDA, "Next": "results"},
                "results": {"Type": "Pass", "Next": "turn"},
                "done": {"Type": "Succeed"},
            },
        }
    )
    assert (estimate.shortest.state_transitions, estimate.shortest.lambda_invocations) == (4, 1)
    assert (estimate.longest.state_transitions, estimate.longest.lambda_invocations) == (5, 2)
    assert any("loop back" in assumption for assumption in estimate.assumptions)


def test_the_estimate_names_its_source_and_the_day_the_prices_were_checked() -> None:
    assert "aws.amazon.com/step-functions/pricing" in PRICE_SOURCE and "aws.amazon.com/lambda/pricing" in PRICE_SOURCE
    assert PRICES_RECORDED_ON == "2026-11-22"


def _agents(*models: dict[str, str]) -> dict[str, object]:
    nodes = [{"id": f"agent{index}", "type": "agent", "params": {"model": model}} for index, model in enumerate(models)]
    return {"nodes": [{"id": "start", "type": "manual", "params": {}}, *nodes]}


PASS = {"StartAt": "a", "States": {"a": {"Type": "Pass", "End": True}}}


def test_agent_models_are_priced_at_the_assumed_tokens_per_execution() -> None:
    haiku = {"provider": "bedrock", "model_id": "anthropic.claude-3-haiku-20240307-v1:0"}
    local = {"provider": "bedrock", "model_id": "local.smollm2-135m-instruct"}
    ollama = {"provider": "openai_compatible", "model_id": "llama3.2"}

    estimate = estimate_cost(PASS, _agents(haiku, local, ollama))

    # 2,000 input tokens x $0.25 and 500 output tokens x $1.25 per 1M tokens, a million times: $500 + $625.
    assert [(model.node_id, model.usd_per_million_executions) for model in estimate.models] == [
        ("agent0", pytest.approx(1125.00)),
        ("agent1", 0.0),
        ("agent2", None),
    ]
    assert estimate.model_usd_per_million_executions == pytest.approx(1125.00)
    assert estimate.model_prices_recorded_on and "bedrock/pricing" in estimate.model_price_source
    assert any("2000 input and 500 output tokens" in assumption for assumption in estimate.assumptions)


def test_the_assumed_token_count_can_be_overridden() -> None:
    haiku = {"provider": "bedrock", "model_id": "anthropic.claude-3-haiku-20240307-v1:0"}

    estimate = estimate_cost(PASS, _agents(haiku), AssumedTokens(input_tokens=100, output_tokens=0))

    assert estimate.models[0].input_tokens == 100 and estimate.models[0].output_tokens == 0
    assert estimate.model_usd_per_million_executions == pytest.approx(25.00)


def test_a_workflow_without_agents_has_no_model_cost() -> None:
    estimate = estimate_cost(PASS, _agents())
    assert estimate.models == [] and estimate.model_usd_per_million_executions == 0.0
