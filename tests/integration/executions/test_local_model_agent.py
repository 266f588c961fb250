"""An agent workflow on the real local model (SmolLM2-135M-Instruct answering Bedrock Converse in the emulation),
created, published and run through the API as `forge dev` runs it: it succeeds and its answer fits output_schema."""

from __future__ import annotations

from typing import Any

import jsonschema  # type: ignore[import-untyped]

from shared.auth.principal import Role
from tests.helpers import wait_until
from tests.integration.executions.support import create_and_publish
from tests.integration.tenancy.conftest import TenantWorld
from tests.workflows.cases import chain, node

SENTIMENT = {
    "type": "object",
    "properties": {"sentiment": {"enum": ["positive", "negative"]}},
    "required": ["sentiment"],
    "additionalProperties": False,
}


def test_an_agent_on_the_local_model_answers_within_its_output_schema(api, alpha: TenantWorld, status_watcher) -> None:
    document = {
        "name": "review sentiment",
        "nodes": [
            node("start", "manual"),
            node(
                "classify",
                "agent",
                model={"provider": "bedrock", "model_id": "local.smollm2-135m-instruct"},
                system="Classify the sentiment of the review.",
                prompt="{% $states.input.review %}",
                output_schema=SENTIMENT,
                max_tokens=32,
                temperature=0,
            ),
        ],
        "edges": chain("start", "classify"),
    }
    workflow_id = create_and_publish(api, alpha.headers[Role.OWNER], document)

    started = api.post(
        f"/v1/workflows/{workflow_id}/executions",
        headers=alpha.headers[Role.EDITOR],
        json={"input": {"review": "I love this blender, it works perfectly."}},
    )
    assert started.status_code == 202, started.text
    execution_id = started.json()["execution_id"]

    def read() -> dict[str, Any]:
        response = api.get(f"/v1/executions/{execution_id}", headers=alpha.headers[Role.VIEWER])
        body: dict[str, Any] = response.json()
        return body

    ended = wait_until(read, lambda execution: execution["status"] != "RUNNING", timeout=120)
    assert ended["status"] == "SUCCEEDED", ended
    output = ended["output"]
    jsonschema.validate(output["answer"], SENTIMENT)
    assert output["turns"] >= 1
    assert output["usage"]["input_tokens"] > 0 and 0 < output["usage"]["output_tokens"] <= 64
