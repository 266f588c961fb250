"""Model tokens: every turn's summed on its execution and on the tenant's and the workflow's month (GET /v1/usage),
and the tier's monthly token quota, at start (a 429) and between turns (Agent.QuotaExceeded)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient

from devserver.scripted_converse import answer, assistant_turns, scripted_model, tool_calls
from shared.auth.principal import Role
from shared.store.tenancy import Usage, UsageItem
from shared.store.tenant_scoped import TenantContext
from shared.tenancy.quotas import month_key
from shared.tenancy.tiers import Tier, tier_limits
from tests.helpers import wait_until
from tests.integration.executions.support import create_and_publish, deliver_executions_stream, transform_workflow
from tests.integration.tenancy.conftest import TenantWorld
from tests.workflows.cases import chain, node

BASIC_TOKENS = tier_limits(Tier.BASIC).monthly_agent_tokens


def agent_workflow(on_error: str | None = None) -> dict[str, Any]:
    agent = node(
        "assistant",
        "agent",
        model={"provider": "bedrock", "model_id": "anthropic.claude-3-haiku-20240307-v1:0"},
        prompt="What is six times seven?",
        tools=[{"kind": "builtin", "name": "calculator"}],
    )
    if on_error is not None:
        agent["on_error"] = on_error
    return {"name": "agent", "nodes": [node("start", "manual"), agent], "edges": chain("start", "assistant")}


def run(api: TestClient, world: TenantWorld, workflow_id: str) -> dict[str, Any]:
    started = api.post(f"/v1/workflows/{workflow_id}/executions", headers=world.headers[Role.EDITOR], json={})
    assert started.status_code == 202, started.text
    execution_id = started.json()["execution_id"]

    def read() -> dict[str, Any]:
        body: dict[str, Any] = api.get(f"/v1/executions/{execution_id}", headers=world.headers[Role.VIEWER]).json()
        return body

    return wait_until(read, lambda execution: execution["status"] != "RUNNING", timeout=60)


def usage(api: TestClient, world: TenantWorld, **params: str) -> dict[str, Any]:
    response = api.get("/v1/usage", headers=world.headers[Role.VIEWER], params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def spend_tokens(world: TenantWorld, tokens: int) -> None:
    counter = Usage(TenantContext(world.tenant_id)).new(month_key(datetime.now(UTC)))
    counter.update(actions=[UsageItem.input_tokens.add(tokens)])


def test_every_turns_tokens_are_summed_on_the_execution_and_the_month(
    api, alpha: TenantWorld, bravo: TenantWorld, status_watcher, executions_stream
) -> None:
    turns = (tool_calls(("c1", "calculator", {"expression": "6 * 7"})), answer("42", input_tokens=40, output_tokens=3))
    workflow_id = create_and_publish(api, alpha.headers[Role.OWNER], agent_workflow())

    with scripted_model(lambda body: turns[min(assistant_turns(body), 1)]):
        ended = run(api, alpha, workflow_id)

    assert ended["status"] == "SUCCEEDED", ended
    # tool_calls reports 20 in and 8 out; the answer 40 and 3.
    assert ended["usage"] == {"input_tokens": 60, "output_tokens": 11} == ended["output"]["usage"]
    deliver_executions_stream(executions_stream)
    month = usage(api, alpha)
    assert month["month"] == f"{datetime.now(UTC):%Y-%m}"
    assert (month["executions"], month["input_tokens"], month["output_tokens"]) == (1, 60, 11)
    assert month["quotas"]["agent_tokens"] == BASIC_TOKENS
    assert month["workflows"] == [
        {"workflow_id": workflow_id, "executions": 1, "input_tokens": 60, "output_tokens": 11}
    ]
    # Another tenant's usage knows nothing of it; another month is empty.
    theirs = usage(api, bravo)
    assert (theirs["executions"], theirs["input_tokens"], theirs["workflows"]) == (0, 0, [])
    assert usage(api, alpha, month="2020-01")["workflows"] == []


def test_a_workflow_without_agents_runs_no_tokens_into_the_execution(api, alpha: TenantWorld, status_watcher) -> None:
    workflow_id = create_and_publish(api, alpha.headers[Role.OWNER], transform_workflow("{'n': 1}"))
    ended = run(api, alpha, workflow_id)
    assert ended["status"] == "SUCCEEDED" and ended["usage"] is None


def test_an_agent_workflow_does_not_start_once_the_months_tokens_are_spent(
    api, alpha: TenantWorld, executions_stream
) -> None:
    agent = create_and_publish(api, alpha.headers[Role.OWNER], agent_workflow())
    plain = create_and_publish(api, alpha.headers[Role.OWNER], transform_workflow("{'n': 1}"))
    spend_tokens(alpha, BASIC_TOKENS)

    refused = api.post(f"/v1/workflows/{agent}/executions", headers=alpha.headers[Role.EDITOR], json={})

    assert refused.status_code == 429, refused.text
    problem = refused.json()
    assert problem["type"].endswith("/agent-tokens-quota")
    assert problem["quota"] == "monthly_agent_tokens" and problem["limit"] == BASIC_TOKENS
    deliver_executions_stream(executions_stream)
    assert usage(api, alpha)["executions"] == 0
    # Workflows without an agent node still start.
    assert api.post(f"/v1/workflows/{plain}/executions", headers=alpha.headers[Role.EDITOR], json={}).status_code == 202


def test_a_turn_after_the_quota_is_spent_fails_the_node_with_agent_quota_exceeded(
    api, alpha: TenantWorld, status_watcher
) -> None:
    costly = tool_calls(("c1", "calculator", {"expression": "1 + 1"}))
    costly["usage"] = {"inputTokens": BASIC_TOKENS, "outputTokens": 1, "totalTokens": BASIC_TOKENS + 1}
    caught = create_and_publish(api, alpha.headers[Role.OWNER], agent_workflow(on_error="continue"))
    uncaught = create_and_publish(api, alpha.headers[Role.OWNER], agent_workflow())

    with scripted_model(lambda body: costly if assistant_turns(body) == 0 else answer("2")) as model:
        ended = run(api, alpha, caught)

    assert ended["status"] == "SUCCEEDED", ended
    assert ended["output"]["error"]["Error"] == "Agent.QuotaExceeded"
    assert len(model.requests) == 1
    assert ended["usage"] == {"input_tokens": BASIC_TOKENS, "output_tokens": 1}
    # Spent: the next agent execution is refused at start.
    refused = api.post(f"/v1/workflows/{uncaught}/executions", headers=alpha.headers[Role.EDITOR], json={})
    assert refused.status_code == 429 and refused.json()["type"].endswith("/agent-tokens-quota")


def test_a_versions_cost_includes_its_agents_model_at_assumed_or_given_tokens(api, alpha: TenantWorld) -> None:
    workflow_id = create_and_publish(api, alpha.headers[Role.OWNER], agent_workflow())
    path = f"/v1/workflows/{workflow_id}/versions/1"

    assumed = api.get(path, headers=alpha.headers[Role.VIEWER])
    given = api.get(
        path, headers=alpha.headers[Role.VIEWER], params={"assumed_input_tokens": 1000, "assumed_output_tokens": 0}
    )
    refused = api.get(path, headers=alpha.headers[Role.VIEWER], params={"assumed_input_tokens": -1})

    assert assumed.status_code == 200 and given.status_code == 200, (assumed.text, given.text)
    # Claude 3 Haiku on Bedrock: $0.25 per 1M input tokens, $1.25 per 1M output tokens.
    assert assumed.json()["cost"]["models"] == [
        {
            "node_id": "assistant",
            "provider": "bedrock",
            "model_id": "anthropic.claude-3-haiku-20240307-v1:0",
            "input_tokens": 2000,
            "output_tokens": 500,
            "usd_per_million_executions": 1125.0,
        }
    ]
    assert given.json()["cost"]["model_usd_per_million_executions"] == 250.0
    assert refused.status_code == 422 and "assumed_input_tokens" in refused.text
