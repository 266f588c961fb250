"""A request the document forbids is refused: pydantic's coercions (true for 1, "10" for 10, a Unix time for a
date-time) no longer slip past the declared types."""

from __future__ import annotations

from fastapi.testclient import TestClient

from shared.auth.principal import Role
from tests.integration.tenancy.conftest import add_execution_and_hook, make_tenant


def test_coercible_values_of_the_wrong_json_type_are_422s_naming_the_field(api: TestClient, issuer, admin_headers):
    world = make_tenant(api, issuer, admin_headers, "strict")
    add_execution_and_hook(api, world)
    schedule = {"workflow_id": world.workflow_id, "name": "nightly", "expression": "rate(1 day)"}
    cases = [
        ("POST", f"/v1/hooks/{world.hook_id}/rotate-secret", {"overlap_seconds": False}, "overlap_seconds"),
        (
            "POST",
            "/v1/hooks",
            {"workflow_id": world.workflow_id, "name": "h", "response_timeout_seconds": "10"},
            "response_timeout_seconds",
        ),
        ("POST", f"/v1/workflows/{world.workflow_id}/rollback", {"version": True}, "version"),
        ("POST", f"/v1/workflows/{world.workflow_id}/executions", {"version": "1"}, "version"),
        ("POST", "/v1/schedules", {**schedule, "enabled": "yes"}, "enabled"),
        ("POST", "/v1/schedules", {**schedule, "start_date": 4102444800}, "start_date"),
        ("PATCH", f"/v1/schedules/{world.schedule_id}", {"end_date": "2100-01-01"}, "end_date"),
        ("POST", "/v1/api-keys", {"name": "k", "expires_at": 4102444800}, "expires_at"),
    ]

    refused = {}
    for method, path, body, _ in cases:
        response = api.request(method, path, json=body, headers=world.headers[Role.OWNER])
        named = [param["name"] for param in response.json().get("invalid-params", [])]
        refused[(method, path, str(body))] = (response.status_code, named)

    assert refused == {(method, path, str(body)): (422, [f"/body/{field}"]) for method, path, body, field in cases}
