"""Random valid workflows run to completion in the emulation; random broken ones are a 422 over the API."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from devserver.api import create_platform_api
from tests.integration.workflows.test_workflow_api import tenant_headers
from tests.workflows.generators import broken_workflows, valid_workflows
from tests.workflows.support import run, validate

FIXTURES_PER_TEST = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


@settings(max_examples=12, deadline=None, suppress_health_check=FIXTURES_PER_TEST)
@given(document=valid_workflows())
def test_random_valid_workflows_run_to_completion(emulated_aws: object, document: dict[str, Any]) -> None:
    definition = validate(document).definition
    assert definition is not None
    execution = run(definition, {"seed": 1})
    assert execution["status"] == "SUCCEEDED", execution


@pytest.fixture
def api_and_owner(emulated_aws, issuer, admin_headers) -> tuple[TestClient, dict[str, str]]:
    api = TestClient(create_platform_api(issuer), raise_server_exceptions=False)
    return api, tenant_headers(api, issuer, admin_headers, "mutants")


@settings(max_examples=15, deadline=None, suppress_health_check=FIXTURES_PER_TEST)
@given(document=broken_workflows())
def test_random_broken_workflows_are_a_422_with_pointers(
    api_and_owner: tuple[TestClient, dict[str, str]], document: dict[str, Any]
) -> None:
    api, owner = api_and_owner
    response = api.post("/v1/workflows/validate", headers=owner, json=document)
    assert response.status_code == 422, response.text
    assert all(param["name"].startswith("/") for param in response.json()["invalid-params"])
