"""An example body for each request body of the API, shown by the docs' "Try it out" (and tried by the contract
fuzz test as the document's explicit examples): every route with a body has one, a test checks it."""

from __future__ import annotations

from typing import Any

_WORKFLOW: dict[str, Any] = {
    "name": "greeting",
    "description": "Greets whoever the input names",
    "nodes": [
        {"id": "start", "type": "manual"},
        {"id": "greet", "type": "transform", "params": {"expression": "{'greeting': 'Hello ' & $states.input.name}"}},
    ],
    "edges": [{"from": "start", "to": "greet"}],
}

REQUEST_EXAMPLES: dict[tuple[str, str], Any] = {
    ("POST", "/v1/platform/smoke-runs"): {"name": "Ada"},
    ("POST", "/v1/tenants"): {
        "slug": "acme",
        "display_name": "Acme",
        "tier": "basic",
        "owner": {"subject": "ada", "email": "ada@acme.test"},
    },
    ("PATCH", "/v1/tenants/{tenant_id}"): {"settings": {"http_allowed_hosts": ["127.0.0.1"]}},
    ("POST", "/v1/members"): {"subject": "grace", "email": "grace@acme.test", "role": "editor"},
    ("PATCH", "/v1/members/{subject}"): {"role": "viewer"},
    ("POST", "/v1/api-keys"): {"name": "ci", "role": "viewer"},
    ("POST", "/v1/workflows"): _WORKFLOW,
    ("POST", "/v1/workflows/validate"): _WORKFLOW,
    ("PUT", "/v1/workflows/{workflow_id}"): _WORKFLOW,
    ("POST", "/v1/workflows/import"): {"format": "nexus-forge.workflow/v1", "workflow": _WORKFLOW},
    ("POST", "/v1/workflows/{workflow_id}/test-runs"): {"input": {"name": "Ada"}},
    ("POST", "/v1/workflows/{workflow_id}/publish"): {"note": "first"},
    ("POST", "/v1/workflows/{workflow_id}/rollback"): {"version": 1},
    ("POST", "/v1/workflows/{workflow_id}/executions"): {"input": {"name": "Ada"}},
    ("POST", "/v1/mcp"): {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}},
    ("POST", "/v1/mcp-servers"): {"name": "docs", "url": "https://mcp.example.com/mcp", "credential": "docs-mcp"},
    ("POST", "/v1/hooks"): {"workflow_id": "<a workflow id>", "name": "orders", "scheme": "standard"},
    ("POST", "/v1/hooks/{hook_id}/rotate-secret"): {"overlap_seconds": 3600},
    ("POST", "/v1/schedules"): {
        "workflow_id": "<a workflow id>",
        "name": "weekday mornings",
        "expression": "cron(30 8 ? * MON-FRI *)",
        "timezone": "Europe/Berlin",
        "input": {"report": "uptime"},
    },
    ("PATCH", "/v1/schedules/{schedule_id}"): {"enabled": False},
    ("POST", "/v1/credentials"): {"name": "github", "secret": {"kind": "bearer", "token": "<the token>"}},
    ("PUT", "/v1/credentials/{credential_name}"): {"secret": {"kind": "bearer", "token": "<the new token>"}},
    ("POST", "/v1/approvals/{approval_id}/approve"): {"comment": "ok"},
    ("POST", "/v1/approvals/{approval_id}/reject"): {"comment": "over budget"},
    ("POST", "/v1/tools/convert"): {
        "from": "mcp",
        "to": "openai_chat",
        "tool": {
            "name": "get_weather",
            "description": "The weather in a city",
            "inputSchema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        },
    },
}
