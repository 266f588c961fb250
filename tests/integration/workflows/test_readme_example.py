"""The README's example workflow validates, and runs as the README says (against a local echo endpoint)."""

from __future__ import annotations

import json
import re

from shared.resources import PROJECT_ROOT
from tests.workflows.fixtures import WorkflowRuntime
from tests.workflows.support import run, validate


def readme_workflow() -> dict[str, object]:
    readme = (PROJECT_ROOT / "README.md").read_text()
    match = re.search(r"cat > health-report\.json <<'JSON'\n(.*?)\nJSON\n", readme, re.DOTALL)
    assert match, "the README's example workflow is missing"
    document: dict[str, object] = json.loads(match[1])
    return document


def test_the_readme_workflow_uses_the_promised_nodes_and_runs(workflow_runtime: WorkflowRuntime) -> None:
    document = readme_workflow()
    types = {node["type"] for node in document["nodes"]}  # type: ignore[attr-defined]
    assert {"http_request", "condition", "parallel", "transform"} <= types
    definition = validate(document).definition
    assert definition is not None
    execution = run(definition, {"url": f"{workflow_runtime.base_url}/v1/health"})
    assert execution["status"] == "SUCCEEDED", execution
    output = json.loads(execution["output"])
    assert output["summary"] == "status 200" and output["service"]["path"] == "/v1/health"


def test_an_unreachable_endpoint_takes_the_error_output(workflow_runtime: WorkflowRuntime) -> None:
    definition = validate(readme_workflow()).definition
    assert definition is not None
    execution = run(definition, {"url": "http://169.254.169.254/latest/meta-data/"})
    assert json.loads(execution["output"]) == {"unreachable": "HttpRequestBlocked"}
