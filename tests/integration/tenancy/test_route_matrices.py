"""The permission table and tenant isolation, checked for every route of the whole API."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute

from devserver.approvals_poller import ApprovalsQueuePoller
from devserver.emulation import LOCAL_PREFIX
from devserver.routers import catalog_routers
from shared.auth.permissions import OPTIONAL_ROUTES, PERMISSIONS, route_policy
from shared.auth.principal import Role
from tests.integration.approvals.support import add_pending_approval
from tests.integration.tenancy.conftest import SAMPLE_WORKFLOW, TenantWorld, add_execution_and_hook, make_tenant

# Path parameters that name something a tenant owns, and how to find tenant B's value of it.
TENANT_OWNED_PARAMETERS = {
    "tenant_id": lambda world: world.tenant_id,
    "key_id": lambda world: world.key_id,
    "subject": lambda world: world.spare_member,
    "workflow_id": lambda world: world.workflow_id,
    "execution_id": lambda world: world.execution_id,
    "hook_id": lambda world: world.hook_id,
    "approval_id": lambda world: world.approval_id,
    "credential_name": lambda world: world.credential_name,
    "schedule_id": lambda world: world.schedule_id,
    "server_id": lambda world: world.mcp_server_id,
    "install_id": lambda world: world.install_id,
    "event_id": lambda world: world.quality_event_id,
    "model_id": lambda world: world.agent_model_id,
}
# Path parameters that name platform resources, which no tenant owns.
# Marketplace namespaces and items are platform-wide listings: a tenant owns its namespace, but every tenant reads it
# and another tenant's writes to it are 403 (tests/integration/marketplace/test_publishing_api.py).
PLATFORM_PARAMETERS = {
    "run_id": "no-such-run",
    "version": "1",
    "asset": "swagger-ui.css",
    "kind": "workflow_template",
    "namespace": "matrix",
    "name": "no-such-item",
    # ML jobs: no kind POST /v1/ml/jobs lets a tenant start is registered yet (a tenant's agent_tuning jobs are its
    # agent models, /v1/agent-models), so no tenant owns a job (shared/ml/job_kinds.py).
    "job_id": "no-such-job",
    # Reviews are shown to every tenant by an id that names neither the author's tenant nor subject.
    "review_id": "0123456789abcdef01234567",
}
SAMPLE_BODIES = {
    ("POST", "/v1/tenants"): {"slug": "matrix-made", "display_name": "M", "owner": {"subject": "m"}},
    ("PATCH", "/v1/tenants/{tenant_id}"): {"display_name": "Renamed"},
    ("POST", "/v1/members"): {"subject": "matrix-new-member", "role": "viewer"},
    ("PATCH", "/v1/members/{subject}"): {"role": "viewer"},
    ("POST", "/v1/api-keys"): {"name": "matrix", "role": "viewer"},
    ("POST", "/v1/platform/smoke-runs"): {"name": "Matrix"},
    # A cap no job fits: refused (422) for an admin after the permission check, without starting a pipeline.
    ("POST", "/v1/ml/jobs"): {"kind": "forecast", "max_cost_usd": 0.0001},
    # A cap no tuning job fits: refused (422) after the permission check, before a dataset or a pipeline exists.
    ("POST", "/v1/agent-models"): {"name": "matrix", "max_cost_usd": 0.0001},
    ("POST", "/v1/workflows"): SAMPLE_WORKFLOW,
    ("POST", "/v1/workflows/validate"): SAMPLE_WORKFLOW,
    ("PUT", "/v1/workflows/{workflow_id}"): SAMPLE_WORKFLOW,
    ("POST", "/v1/workflows/import"): {"workflow": SAMPLE_WORKFLOW},
    ("POST", "/v1/workflows/{workflow_id}/rollback"): {"version": 1},
    ("POST", "/v1/workflows/{workflow_id}/test-runs"): {"input": {}},
    ("POST", "/v1/workflows/{workflow_id}/executions"): {"input": {}},
    ("POST", "/v1/hooks"): {"workflow_id": "no-such-workflow", "name": "matrix"},
    ("POST", "/v1/credentials"): {"name": "matrix", "secret": {"kind": "bearer", "token": "matrix-token"}},
    ("PUT", "/v1/credentials/{credential_name}"): {"secret": {"kind": "basic", "username": "m", "password": "p"}},
    ("POST", "/v1/schedules"): {"workflow_id": "no-such-workflow", "name": "matrix", "expression": "rate(1 hour)"},
    ("PATCH", "/v1/schedules/{schedule_id}"): {"enabled": False},
    ("POST", "/v1/mcp"): {"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
    ("POST", "/v1/mcp-servers"): {"name": "matrix", "url": "https://mcp.matrix.invalid/mcp"},
    ("PUT", "/v1/marketplace/namespaces/{namespace}"): {
        "public_key": "ed25519:e+TOZ1R1y2SPSURCw9ALu5nmbprtFqV93pxM5QLxYaA="
    },
    ("POST", "/v1/marketplace/items/{namespace}/{name}/versions"): {
        "manifest": {"kind": "agent", "namespace": "matrix", "name": "no-such-item", "version": "1.0.0"},
        "signature": "bm90IGEgc2lnbmF0dXJl",
    },
    ("POST", "/v1/marketplace/items/{namespace}/{name}/versions/{version}/deprecation"): {"message": "Use 2.x"},
    ("POST", "/v1/marketplace/installs"): {"namespace": "matrix", "name": "no-such-item", "version": "1.0.0"},
    ("POST", "/v1/marketplace/installs/{install_id}/update"): {"version": "2.0.0"},
    ("PUT", "/v1/marketplace/items/{namespace}/{name}/reviews/mine"): {"rating": 4},
    ("POST", "/v1/marketplace/items/{namespace}/{name}/reviews/{review_id}/reports"): {"reason": "spam"},
    ("PUT", "/v1/marketplace/items/{namespace}/{name}/reviews/{review_id}/reply"): {"body": "Thanks"},
    ("PUT", "/v1/quality/policies/{workflow_id}"): {"actions": ["notify", "rollback"]},
    ("POST", "/v1/tools/convert"): {
        "from": "mcp",
        "to": "openai_chat",
        "tool": {"name": "m", "inputSchema": {"type": "object"}},
    },
}


def api_routes() -> list[tuple[str, str]]:
    """Every route of the whole API: the routers of every HTTP function in the catalog."""
    return sorted(
        (method, route.path)
        for router in catalog_routers()
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods or ()
    )


def test_every_route_is_in_the_permission_table_and_every_entry_is_a_route() -> None:
    routes = set(api_routes())
    assert routes - set(PERMISSIONS) == set(), "declare these routes and their policy in shared/catalog.py"
    assert set(PERMISSIONS) - routes - OPTIONAL_ROUTES == set(), "these permission entries match no route"


def test_every_route_parameter_is_covered_by_the_isolation_matrix() -> None:
    for _, path in api_routes():
        for parameter in re.findall(r"{(\w+)}", path):
            assert parameter in TENANT_OWNED_PARAMETERS or parameter in PLATFORM_PARAMETERS, (
                f"{path}: say how to find tenant B's {parameter!r} in TENANT_OWNED_PARAMETERS"
            )


def _path(template: str, world: TenantWorld) -> str:
    def value(match: re.Match[str]) -> str:
        name = match[1]
        if name in TENANT_OWNED_PARAMETERS:
            return str(TENANT_OWNED_PARAMETERS[name](world))
        return PLATFORM_PARAMETERS[name]

    return re.sub(r"{(\w+)}", value, template)


@pytest.fixture
def tenants(api, issuer, admin_headers, emulated_aws) -> tuple[TenantWorld, TenantWorld]:
    alpha, bravo = make_tenant(api, issuer, admin_headers, "alpha"), make_tenant(api, issuer, admin_headers, "bravo")
    poller = ApprovalsQueuePoller(emulated_aws, LOCAL_PREFIX)
    for world in (alpha, bravo):
        add_execution_and_hook(api, world)
        add_pending_approval(api, world, poller)
    return alpha, bravo


def test_role_matrix_every_role_gets_exactly_what_the_permission_table_says(api, admin_headers, tenants) -> None:
    alpha, _ = tenants
    mismatches = []
    callers = [(role.value, alpha.headers[role]) for role in (Role.VIEWER, Role.EDITOR, Role.ADMIN, Role.OWNER)]
    for label, headers in [*callers, ("platform-admin", admin_headers)]:
        for method, template in api_routes():
            policy = route_policy(method, template)
            assert policy is not None
            if policy.public:
                continue
            response = api.request(
                method, _path(template, alpha), headers=headers, json=SAMPLE_BODIES.get((method, template))
            )
            allowed = policy.platform_admin if label == "platform-admin" else Role(label) in policy.roles
            denied = response.status_code == 403 and response.json()["type"].endswith("/forbidden")
            if allowed == denied or response.status_code in (401, 429) or response.status_code >= 500:
                mismatches.append(f"{label} {method} {template}: {response.status_code} {response.text[:120]}")
    assert mismatches == []


def test_isolation_matrix_tenant_a_never_reaches_tenant_b(api, tenants) -> None:
    alpha, bravo = tenants
    leaks = []
    for method, template in api_routes():
        policy = route_policy(method, template)
        assert policy is not None
        if policy.public:
            continue
        parameters = re.findall(r"{(\w+)}", template)
        owned = [name for name in parameters if name in TENANT_OWNED_PARAMETERS]
        # A role the table refuses gets 403 whatever the ids (the role matrix checks that); any other role, 404.
        for role in sorted(policy.roles) or list(Role):
            path = _path(template, bravo)
            response = api.request(
                method, path, headers=alpha.headers[role], json=SAMPLE_BODIES.get((method, template))
            )
            # Echoing the id the caller sent is no leak; anything else of B's is.
            leaked = sorted(i for i in bravo.identifiers if i in response.text and i not in path)
            if owned and response.status_code != 404 and (role in policy.roles or "tenant_id" in owned):
                leaks.append(f"{role} {method} {template} with B's ids: {response.status_code}, expected 404")
            if response.status_code >= 500 or leaked:
                leaks.append(f"{role} {method} {template}: {response.status_code}, B's {leaked}")
    assert leaks == []
    # B is untouched: its members and keys are all still there.
    members = api.get("/v1/members", headers=bravo.headers[Role.OWNER]).json()["items"]
    assert bravo.spare_member in {member["subject"] for member in members}
    assert api.get(f"/v1/api-keys/{bravo.key_id}", headers=bravo.headers[Role.OWNER]).json()["revoked_at"] is None


def test_a_cursor_of_tenant_b_is_refused_for_tenant_a(api, tenants) -> None:
    alpha, bravo = tenants
    page = api.get("/v1/members?limit=1", headers=bravo.headers[Role.OWNER]).json()
    assert page["next_cursor"]
    replayed = api.get(f"/v1/members?limit=1&cursor={page['next_cursor']}", headers=alpha.headers[Role.OWNER])
    assert replayed.status_code == 400
    assert replayed.json()["title"] == "Invalid pagination cursor"
    own_next = api.get(f"/v1/members?limit=1&cursor={page['next_cursor']}", headers=bravo.headers[Role.OWNER])
    assert own_next.status_code == 200
    assert own_next.json()["items"] != page["items"]
