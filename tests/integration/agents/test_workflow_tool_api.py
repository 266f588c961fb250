"""GET /v1/workflows/{id}/tool on the local platform: a tenant's workflow described as a tool in any format."""

from __future__ import annotations

import pytest

from shared.agents.tools.format_names import ToolFormatName

INVOICE_WORKFLOW = {
    "name": "Send invoice (v2)",
    "description": "Emails the customer their invoice.",
    "nodes": [{"id": "start", "type": "manual"}, {"id": "shape", "type": "transform", "params": {"expression": "1"}}],
    "edges": [{"from": "start", "to": "shape"}],
}


@pytest.fixture
def workflow_id(api, members) -> str:
    created = api.post("/v1/workflows", headers=members.owner, json=INVOICE_WORKFLOW)
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def test_a_viewer_exports_a_workflow_as_an_mcp_tool(api, members, workflow_id) -> None:
    response = api.get(f"/v1/workflows/{workflow_id}/tool", headers=members.viewer)

    assert response.status_code == 200, response.text
    assert response.json() == {
        "name": "Send_invoice_v2",
        "description": "Emails the customer their invoice.",
        "inputSchema": {"type": "object", "properties": {}},
    }


def test_the_same_workflow_in_every_format_converts_back_to_the_same_mcp_tool(api, members, workflow_id) -> None:
    as_mcp = api.get(f"/v1/workflows/{workflow_id}/tool", headers=members.viewer).json()
    for tool_format in ToolFormatName:
        exported = api.get(f"/v1/workflows/{workflow_id}/tool?format={tool_format}", headers=members.viewer)
        assert exported.status_code == 200, exported.text
        converted = api.post(
            "/v1/tools/convert",
            headers=members.viewer,
            json={"from": tool_format, "to": "mcp", "tool": exported.json()},
        )
        assert converted.json() == {"format": "mcp", "tool": as_mcp, "dropped": []}, tool_format


def test_the_bedrock_export_is_a_tool_spec(api, members, workflow_id) -> None:
    response = api.get(f"/v1/workflows/{workflow_id}/tool?format=bedrock", headers=members.viewer)

    assert response.json()["toolSpec"]["name"] == "Send_invoice_v2"
    assert response.json()["toolSpec"]["inputSchema"] == {"json": {"type": "object", "properties": {}}}


def test_an_unknown_format_or_workflow_is_refused(api, members, workflow_id) -> None:
    unknown_format = api.get(f"/v1/workflows/{workflow_id}/tool?format=gemini", headers=members.viewer)
    unknown_workflow = api.get("/v1/workflows/no-such-workflow/tool", headers=members.viewer)

    assert unknown_format.status_code == 422
    assert [param["name"] for param in unknown_format.json()["invalid-params"]] == ["/query/format"]
    assert unknown_workflow.status_code == 404
