"""MCP both ways under the emulation: the official MCP client lists and calls a tenant's exposed workflows through
POST /v1/mcp (served on 127.0.0.1), and a tenant registers an MCP server of the SDK running on 127.0.0.1, refreshes
its tools and calls one through `call_tool`, behind the SSRF guard."""

from __future__ import annotations

import socket
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from mcp.shared.exceptions import MCPError

from shared.agents.mcp import workflow_tools
from shared.agents.mcp.client import call_tool, server_tools
from shared.auth.principal import Role
from tests.integration.agents.mcp_support import HeaderRecorder, serving
from tests.integration.executions.conftest import status_watcher
from tests.integration.executions.support import (
    create_and_publish,
    failing_workflow,
    transform_workflow,
    waiting_workflow,
)
from tests.integration.tenancy.conftest import TenantWorld, make_tenant

__all__ = ["status_watcher"]


def exposed(document: dict[str, Any], name: str) -> dict[str, Any]:
    return {**document, "name": name, "expose_as_tool": True}


@pytest.fixture
def alpha(api, issuer, admin_headers) -> TenantWorld:
    return make_tenant(api, issuer, admin_headers, "alpha")


@pytest.fixture
def bravo(api, issuer, admin_headers) -> TenantWorld:
    return make_tenant(api, issuer, admin_headers, "bravo")


async def _session(url: str, api_key: str, action: Any) -> Any:
    async with (
        httpx2.AsyncClient(headers={"authorization": f"Bearer {api_key}"}, timeout=30) as http,
        Client(streamable_http_client(f"{url}/v1/mcp", http_client=http)) as client,
    ):
        return await action(client)


def through_mcp(url: str, world: TenantWorld, action: Any) -> Any:
    """Runs `action(client)` with the official client connected as the tenant's API key (an editor's), on its own
    thread: an event loop run on the main thread leaves it without one, which Mangum's handlers then need."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(anyio.run, _session, url, world.api_key, action).result()


def test_the_official_client_lists_and_calls_the_tenants_exposed_workflows(api, alpha, status_watcher) -> None:
    owner = alpha.headers[Role.OWNER]
    greet = transform_workflow("{'hello': $states.input.name}", mode="express")
    create_and_publish(api, owner, exposed(greet, "Greet"))
    create_and_publish(api, owner, exposed(transform_workflow("{'sum': $states.input.a + $states.input.b}"), "Add up"))
    create_and_publish(api, owner, exposed(failing_workflow(mode="express"), "Explode"))
    create_and_publish(api, owner, transform_workflow("1"))  # published, not exposed

    async def session(client: Client) -> Any:
        listed = await client.list_tools()
        greeted = await client.call_tool("Greet", {"name": "Ada"})
        added = await client.call_tool("Add_up", {"a": 2, "b": 3})
        exploded = await client.call_tool("Explode", {})
        return listed, greeted, added, exploded

    with serving(api.app) as url:
        listed, greeted, added, exploded = through_mcp(url, alpha, session)

    assert sorted(tool.name for tool in listed.tools) == ["Add_up", "Explode", "Greet"]
    assert all(tool.input_schema["type"] == "object" for tool in listed.tools)
    # Express synchronously; standard started and followed to its end.
    assert not greeted.is_error and greeted.structured_content == {"hello": "Ada"}
    assert not added.is_error and added.structured_content == {"sum": 5}
    # A failed workflow is a tool result with isError, naming the execution's error.
    assert exploded.is_error and exploded.structured_content["error"] == "Boom"
    runs = api.get("/v1/executions", params={"trigger": "mcp"}, headers=owner).json()["items"]
    assert sorted(run["status"] for run in runs) == ["FAILED", "SUCCEEDED", "SUCCEEDED"]


def test_a_standard_workflow_still_running_after_the_wait_answers_its_execution_id(
    api, alpha, status_watcher, monkeypatch
) -> None:
    monkeypatch.setattr(workflow_tools, "WAIT_SECONDS", 0.5)
    create_and_publish(api, alpha.headers[Role.OWNER], exposed(waiting_workflow(60), "Slow"))

    with serving(api.app) as url:
        answered = through_mcp(url, alpha, lambda client: client.call_tool("Slow", {}))

    assert not answered.is_error
    execution_id = answered.structured_content["execution_id"]
    assert answered.structured_content["status"] == "RUNNING"
    record = api.get(f"/v1/executions/{execution_id}", headers=alpha.headers[Role.VIEWER]).json()
    assert record["status"] == "RUNNING" and record["trigger"] == "mcp"


def test_another_tenants_key_sees_none_of_its_tools_and_cannot_call_them(api, alpha, bravo) -> None:
    create_and_publish(api, alpha.headers[Role.OWNER], exposed(transform_workflow("1", mode="express"), "Alpha secret"))

    async def session(client: Client) -> Any:
        listed = await client.list_tools()
        with pytest.raises(MCPError) as refused:
            await client.call_tool("Alpha_secret", {})
        return listed, refused.value

    with serving(api.app) as url:
        listed, refused = through_mcp(url, bravo, session)
        own = through_mcp(url, alpha, lambda client: client.list_tools())

    assert listed.tools == []
    assert "Unknown tool" in str(refused)
    assert [tool.name for tool in own.tools] == ["Alpha_secret"]
    assert api.get("/v1/executions", headers=alpha.headers[Role.OWNER]).json()["items"] == []


def test_a_viewer_may_not_use_the_mcp_server(api, alpha) -> None:
    answer = api.post(
        "/v1/mcp", headers=alpha.headers[Role.VIEWER], json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    )

    assert answer.status_code == 403


def adder() -> MCPServer:
    server = MCPServer("adder")

    @server.tool()
    def add(a: int, b: int) -> int:
        """Adds two numbers."""
        return a + b

    return server


def test_a_registered_server_on_loopback_is_refreshed_and_its_tool_called(api, alpha) -> None:
    admin = alpha.headers[Role.ADMIN]
    recorder = HeaderRecorder(adder().streamable_http_app(json_response=True, stateless_http=True))
    with serving(recorder) as url:
        refused = api.post("/v1/mcp-servers", headers=admin, json={"name": "adder", "url": f"{url}/mcp"})
        allowed = api.patch(
            f"/v1/tenants/{alpha.tenant_id}", headers=admin, json={"settings": {"http_allowed_hosts": ["127.0.0.1"]}}
        )
        assert allowed.status_code == 200, allowed.text
        registered = api.post(
            "/v1/mcp-servers",
            headers=admin,
            json={"name": "adder", "url": f"{url}/mcp", "credential": alpha.credential_name},
        )
        assert registered.status_code == 201, registered.text
        server_id = registered.json()["server_id"]
        refreshed = api.post(f"/v1/mcp-servers/{server_id}/refresh", headers=alpha.headers[Role.EDITOR])
        called = call_tool(alpha.tenant_id, server_id, "add", {"a": 2, "b": 40})
        unlisted = call_tool(alpha.tenant_id, server_id, "subtract", {"a": 2, "b": 40})

    assert refused.status_code == 422
    assert refused.json()["invalid-params"][0]["name"] == "/url"
    assert refreshed.status_code == 200, refreshed.text
    assert [tool["name"] for tool in refreshed.json()["tools"]] == ["add"]
    assert [tool.name for tool in server_tools(alpha.tenant_id, server_id)] == ["add"]
    assert called == ({"result": 42}, False)
    assert unlisted[1] is True and "no tool 'subtract'" in unlisted[0]
    # The credential went to the server by reference and never comes back out.
    assert set(recorder.authorizations) == {f"Bearer {alpha.slug}-credential-secret-value"}
    shown = api.get(f"/v1/mcp-servers/{server_id}", headers=alpha.headers[Role.EDITOR])
    assert shown.json()["credential"] == alpha.credential_name and "secret-value" not in shown.text


@pytest.mark.parametrize("url", ["http://10.1.2.3/mcp", "http://169.254.169.254/latest", "http://[::1]:8080/mcp"])
def test_a_private_or_metadata_address_is_refused(api, alpha, url) -> None:
    refused = api.post("/v1/mcp-servers", headers=alpha.headers[Role.ADMIN], json={"name": "inside", "url": url})

    assert refused.status_code == 422, refused.text
    assert refused.json()["invalid-params"][0]["name"] == "/url"


def test_a_host_that_resolves_to_loopback_is_refused_at_refresh(api, alpha) -> None:
    registered = api.post(
        "/v1/mcp-servers", headers=alpha.headers[Role.ADMIN], json={"name": "local", "url": "http://localhost:9/mcp"}
    )
    assert registered.status_code == 201, registered.text
    server_id = registered.json()["server_id"]

    refreshed = api.post(f"/v1/mcp-servers/{server_id}/refresh", headers=alpha.headers[Role.EDITOR])

    assert refreshed.status_code == 422
    assert "non-public address" in refreshed.json()["detail"]
    assert call_tool(alpha.tenant_id, server_id, "anything", {})[1] is True


def test_a_host_that_resolves_elsewhere_at_connection_is_refused_there(api, alpha, monkeypatch) -> None:
    """DNS rebinding: the host passes the check with a public address, then answers loopback for the connection."""
    real_getaddrinfo = socket.getaddrinfo
    answers = iter(["93.184.215.14"])

    def rebinding(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in ("rebind.example", b"rebind.example"):
            return real_getaddrinfo(host, port, *args, **kwargs)
        address = next(answers, "127.0.0.1")
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))]

    unprotected = TransportSecuritySettings(enable_dns_rebinding_protection=False)
    app = adder().streamable_http_app(json_response=True, stateless_http=True, transport_security=unprotected)
    with serving(app) as url:
        port = url.rsplit(":", 1)[1]
        registered = api.post(
            "/v1/mcp-servers",
            headers=alpha.headers[Role.ADMIN],
            json={"name": "rebinding", "url": f"http://rebind.example:{port}/mcp"},
        )
        assert registered.status_code == 201, registered.text
        monkeypatch.setattr(socket, "getaddrinfo", rebinding)
        refreshed = api.post(
            f"/v1/mcp-servers/{registered.json()['server_id']}/refresh", headers=alpha.headers[Role.EDITOR]
        )

    assert refreshed.status_code == 422, refreshed.text
    assert "non-public address (127.0.0.1)" in refreshed.json()["detail"]
