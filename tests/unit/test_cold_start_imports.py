"""What the event-driven handlers leave out of their import (cold start), to load on the first request that needs it.

The import times themselves are measured by bench/cold_start.py (with the first-invocation cost of what is left
out); these tests only pin down which modules stay out, in a fresh interpreter with the function's catalog
environment, as Lambda would start it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from shared.catalog import CATALOG, CATALOG_BY_NAME, resource_environment
from shared.resources import PROJECT_ROOT

# function → module prefixes its handler's import must not load, and why.
LEFT_OUT = {
    # No web framework in an authorizer; PyJWT (and cryptography) only with the first bearer token.
    "authorizer": ("fastapi", "starlette", "mangum", "jwt", "cryptography", "shared.auth.tokens"),
    # The start path (Step Functions client, quotas, payload store) only with the first error workflow.
    "execution_events": ("fastapi", "boto3", "shared.executions.start"),
    # Partial batch responses without Powertools' batch utility and its every event source data class.
    "approvals_intake": (
        "fastapi",
        "aws_lambda_powertools.utilities.batch",
        "aws_lambda_powertools.utilities.data_classes",
    ),
    "schedule_fire": ("fastapi", "boto3", "shared.executions.model"),
}


def _modules_after_import(handler_module: str, environment: dict[str, str]) -> list[str]:
    probe = "import importlib, json, sys; importlib.import_module(sys.argv[1]); print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", probe, handler_module],
        capture_output=True,
        text=True,
        check=True,
        cwd=PROJECT_ROOT,
        env={**os.environ, **environment},
    )
    modules: list[str] = json.loads(result.stdout.strip().splitlines()[-1])
    return modules


@pytest.mark.parametrize("name", sorted(LEFT_OUT))
def test_an_event_handler_leaves_out_what_its_usual_invocation_does_not_need(name: str) -> None:
    spec = CATALOG_BY_NAME[name]
    environment = resource_environment(spec, {grant.resource.env_var: "bench" for grant in spec.grants})
    modules = _modules_after_import(spec.handler_module, environment)

    loaded = [module for module in modules if module.startswith(LEFT_OUT[name])]

    assert loaded == []
    assert spec.handler_module in modules


@pytest.mark.parametrize("spec", CATALOG, ids=lambda spec: spec.name)
def test_every_function_runs_with_pydantic_plugins_disabled(spec) -> None:
    environment = resource_environment(spec, {grant.resource.env_var: "x" for grant in spec.grants})
    assert environment["PYDANTIC_DISABLE_PLUGINS"] == "__all__"
