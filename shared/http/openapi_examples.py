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
    ("POST", "/v1/ml/jobs"): {
        "kind": "forecast",
        "instance_type": "ml.m5.large",
        "hyperparameters": {"horizon": 48},
        "max_cost_usd": 1.0,
        "spot": True,
    },
    ("POST", "/v1/agent-models"): {
        "name": "order desk",
        "base_model": "smollm2-135m-instruct",
        "examples": '{"messages": [{"role": "user", "content": "Status of order 7?"}, '
        '{"role": "assistant", "content": "Order 7 has shipped."}]}\n',
        "include_agent_memory": True,
        "hyperparameters": {"max_steps": 200, "learning_rate": 0.0002},
        "instance_type": "ml.g5.xlarge",
        "max_cost_usd": 5.0,
        "spot": True,
        "endpoint": {"kind": "serverless", "memory_mb": 3072, "max_concurrency": 1},
    },
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
    ("PUT", "/v1/quality/policies/{workflow_id}"): {"actions": ["notify", "rollback", "retry_failed"]},
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
    ("PUT", "/v1/marketplace/namespaces/{namespace}"): {
        "public_key": "ed25519:e+TOZ1R1y2SPSURCw9ALu5nmbprtFqV93pxM5QLxYaA="
    },
    ("POST", "/v1/marketplace/items/{namespace}/{name}/versions"): {
        "manifest": {
            "kind": "workflow_template",
            "namespace": "acme",
            "name": "greeting",
            "version": "1.0.0",
            "title": "Greeting",
            "description": "Greets whoever the input names",
            "license": "Apache-2.0",
            "workflow": _WORKFLOW,
        },
        "artefacts": {"README.md": "IyBHcmVldGluZwo="},
        "signature": "<base64 Ed25519 signature from forge marketplace sign>",
    },
    ("POST", "/v1/marketplace/items/{namespace}/{name}/versions/{version}/deprecation"): {
        "message": "Use 2.x: it names its credential"
    },
    ("POST", "/v1/marketplace/installs"): {
        "namespace": "acme",
        "name": "greeting",
        "version": "1.0.0",
        "parameters": {},
        "credentials": {"acme_api": "github"},
    },
    ("POST", "/v1/marketplace/installs/{install_id}/update"): {"version": "1.1.0"},
    ("PUT", "/v1/marketplace/items/{namespace}/{name}/reviews/mine"): {
        "rating": 4,
        "title": "Does what it says",
        "body": "Saved us an afternoon of glue code.",
    },
    ("POST", "/v1/marketplace/items/{namespace}/{name}/reviews/{review_id}/reports"): {"reason": "Advertising"},
    ("PUT", "/v1/marketplace/items/{namespace}/{name}/reviews/{review_id}/reply"): {"body": "Thanks for the review!"},
}
