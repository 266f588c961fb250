"""One model turn of the agent loop, with a fake provider: what is dispatched, refused and raised."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shared.agents import turn as turn_module
from shared.agents.config import TurnEvent
from shared.agents.providers.contract import (
    ModelTurn,
    ModelTurnRequest,
    ProviderCall,
    ProviderThrottled,
)
from shared.agents.turn import run_turn

TOOLS = [{"name": "calculator", "description": "arithmetic", "inputSchema": {"type": "object", "properties": {}}}]


@pytest.fixture(autouse=True)
def _unmetered(monkeypatch: pytest.MonkeyPatch) -> None:
    """No data layer here: the token quota and usage are the integration tests' (tests/integration/executions)."""
    monkeypatch.setattr(turn_module, "_ensure_tokens_left", lambda tenant: None)
    monkeypatch.setattr(turn_module, "_record_tokens", lambda tenant, event, input_tokens, output_tokens: None)


class _Model:
    def __init__(self, *turns: ModelTurn) -> None:
        self.turns = list(turns)
        self.requests: list[ModelTurnRequest] = []
        self.name = "fake"

    def converse(self, request: ModelTurnRequest, call: ProviderCall) -> ModelTurn:
        self.requests.append(request)
        return self.turns.pop(0)


def _event(state: dict[str, Any], **config: Any) -> TurnEvent:
    agent = {"model": {"model_id": "m"}, "tools": TOOLS, "max_turns": 4, "max_tokens": 100, **config}
    return TurnEvent.model_validate(
        {
            "tenant_id": "tenant0001",
            "workflow_id": "wf",
            "node_id": "assistant",
            "execution_id": "arn:aws:states:us-east-1:123456789012:execution:wf:run1",
            "agent": json.dumps(agent),
            "state": state,
        }
    )


def _asks(*names: str) -> ModelTurn:
    content: list[Any] = [{"toolUse": {"toolUseId": f"id-{name}", "name": name, "input": {}}} for name in names]
    return ModelTurn({"role": "assistant", "content": content}, "tool_use", {"input_tokens": 5, "output_tokens": 2})


def test_a_call_to_an_unlisted_tool_is_answered_with_an_error_and_never_dispatched() -> None:
    done = ModelTurn(
        {"role": "assistant", "content": [{"text": "ok"}]}, "end_turn", {"input_tokens": 1, "output_tokens": 1}
    )
    model = _Model(_asks("delete_everything", "calculator"), done)
    state = run_turn(_event({"prompt": "hi"}), lambda name: model)
    assert state["status"] == "tool_calls"
    assert [call["name"] for call in state["pending"]] == ["calculator"]
    state["tool_results"] = [
        {"toolUseId": "id-calculator", "name": "calculator", "status": "success", "result": {"value": 1}, "bytes": 11}
    ]
    state = run_turn(_event(state), lambda name: model)
    results = model.requests[1].messages[-1]["content"]
    assert [block["toolResult"]["toolUseId"] for block in results] == ["id-delete_everything", "id-calculator"]
    assert results[0]["toolResult"]["status"] == "error"
    assert all(request.tools == TOOLS for request in model.requests)
    assert [(call["name"], call["status"]) for call in state["result"]["tool_calls"]] == [
        ("delete_everything", "refused"),
        ("calculator", "success"),
    ]


def test_a_provider_failure_raises_the_node_error_retry_and_catch_name() -> None:
    class Throttled(_Model):
        def converse(self, request: ModelTurnRequest, call: ProviderCall) -> ModelTurn:
            raise ProviderThrottled("slow down", provider="fake", status=429)

    with pytest.raises(Exception) as raised:
        run_turn(_event({"prompt": "hi"}), lambda name: Throttled())
    assert type(raised.value).__name__ == "Agent.Throttled"
    assert str(raised.value) == "slow down"


def test_a_provider_module_that_is_not_deployed_is_agent_provider_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str) -> Any:
        raise ModuleNotFoundError(f"No module named 'shared.agents.providers.{name}'")

    monkeypatch.setattr(turn_module, "provider", missing)
    with pytest.raises(Exception) as raised:
        run_turn(_event({"prompt": "hi"}, model={"provider": "sagemaker", "model_id": "m"}))
    assert type(raised.value).__name__ == "Agent.ProviderError"


def test_tool_calls_at_the_turn_limit_end_the_loop() -> None:
    state = run_turn(_event({"prompt": "hi"}, max_turns=1), lambda name: _Model(_asks("calculator")))
    assert (state["status"], state["pending"]) == ("max_turns", [])
