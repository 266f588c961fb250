"""The local platform over HTTP, started the way `make run` starts it."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

from devserver.issuer import LocalIssuer
from devserver.subprocess_platform import LocalPlatform
from shared.access import Role
from shared.http.openapi_document import OPENAPI_DOCUMENT_PATH
from shared.marketplace.signing import generate_key_pair
from tests.helpers import wait_until
from tests.integration.marketplace.test_publishing_api import signed_upload

pytestmark = pytest.mark.e2e


@pytest.fixture
def platform(shared_platform: LocalPlatform) -> LocalPlatform:
    return shared_platform


def _admin(platform: LocalPlatform) -> dict[str, str]:
    """A platform admin's token from the running platform's local issuer (the smoke routes are platform-admin only)."""
    token = LocalIssuer(platform.state_dir).mint("e2e-admin", platform_admin=True)
    return {"authorization": f"Bearer {token}"}


def _finished_smoke_run(platform: LocalPlatform, run_id: str) -> Any:
    return wait_until(
        lambda: httpx.get(f"{platform.url}/v1/platform/smoke-runs/{run_id}", headers=_admin(platform)).json(),
        lambda run: run["status"] != "RUNNING",
    )


def test_health(platform: LocalPlatform) -> None:
    response = httpx.get(f"{platform.url}/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "stage": "local"}


def test_openapi_document_and_docs(platform: LocalPlatform) -> None:
    document = httpx.get(f"{platform.url}/openapi.json")
    assert document.status_code == 200
    assert document.text == OPENAPI_DOCUMENT_PATH.read_text()
    assert "/v1/health" in document.json()["paths"]
    docs = httpx.get(f"{platform.url}/docs")
    assert docs.status_code == 200
    assert "swagger-ui" in docs.text
    assert "/openapi.json" in docs.text


def test_docs_are_served_by_the_platform_and_name_no_other_host(platform: LocalPlatform) -> None:
    page = httpx.get(f"{platform.url}/docs")
    assert page.status_code == 200
    assert re.findall(r"(?:https?:)?//[^\s'\"<>]+", page.text) == [], "the page loads something from another host"
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert set(assets) == {"/docs/swagger-ui-bundle.js", "/docs/swagger-ui.css", "/docs/favicon.png"}
    for asset in assets:
        served = httpx.get(f"{platform.url}{asset}")
        assert served.status_code == 200 and len(served.content) > 1000, asset
    bundle = httpx.get(f"{platform.url}/docs/swagger-ui-bundle.js")
    assert bundle.headers["content-type"].startswith("text/javascript") and "SwaggerUIBundle" in bundle.text
    assert httpx.get(f"{platform.url}/docs/other.js").status_code in (404, 422)


@pytest.mark.parametrize(
    ("method", "path", "body", "headers", "status", "slug"),
    [
        ("POST", "/v1/platform/smoke-runs", b'{"name": ', {"content-type": "application/json"}, 400, "malformed-json"),
        ("POST", "/v1/platform/smoke-runs", b"name=Ada", {"content-type": "text/plain"}, 415, "unsupported-media-type"),
        ("GET", "/v1/no-such-route", None, {}, 404, "not-found"),
        (
            "POST",
            "/v1/platform/smoke-runs",
            b"[" + b"1," * (3 * 1024 * 1024 + 1) + b"1]",
            {"content-type": "application/json"},
            413,
            "payload-too-large",
        ),
    ],
    ids=["malformed-json", "wrong-content-type", "unknown-route", "oversized-body"],
)
def test_bad_input_gets_a_problem_response(
    platform: LocalPlatform, method: str, path: str, body: bytes | None, headers: dict, status: int, slug: str
) -> None:
    response = httpx.request(method, f"{platform.url}{path}", content=body, headers=headers)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith(f"/problems/{slug}")
    assert response.json()["correlation_id"] == response.headers["x-correlation-id"]


def test_smoke_workflow_runs_the_real_handler_and_is_visible_in_the_emulation(platform: LocalPlatform) -> None:
    assert httpx.post(f"{platform.url}/v1/platform/smoke-runs", json={"name": "Ada"}).status_code == 401
    started = httpx.post(f"{platform.url}/v1/platform/smoke-runs", json={"name": "Ada"}, headers=_admin(platform))
    assert started.status_code == 202
    run = _finished_smoke_run(platform, started.json()["run_id"])
    assert run["status"] == "SUCCEEDED"
    assert run["output"]["greeting"] == "Hello, Ada!"
    assert run["output"]["function_name"] == "nexus-forge-local-smoke-echo"

    aws = {"endpoint_url": platform.aws_url, "region_name": "us-east-1"}
    credentials = {"aws_access_key_id": "any", "aws_secret_access_key": "any"}
    sfn = boto3.client("stepfunctions", **aws, **credentials)  # type: ignore[call-overload]
    machine_arn = "arn:aws:states:us-east-1:123456789012:stateMachine:nexus-forge-local-smoke"
    executions = sfn.list_executions(stateMachineArn=machine_arn)["executions"]
    assert run["run_id"] in {execution["name"] for execution in executions}
    tables = boto3.client("dynamodb", **aws, **credentials).list_tables()["TableNames"]  # type: ignore[call-overload]
    assert "nexus-forge-local-platform" in tables


def test_banner_tells_where_everything_is(tmp_path: Path) -> None:
    platform = LocalPlatform(state_dir=tmp_path)
    platform.start()
    # The banner follows the API's first healthy answer by the time one print takes.
    deadline = time.monotonic() + 10
    while "Try next:" not in platform.output_so_far() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert platform.stop() == 0
    assert f"API            {platform.url}" in platform.output
    assert f"{platform.url}/docs" in platform.output
    assert "Try next:" in platform.output


def test_a_restart_keeps_state_and_reset_starts_empty(tmp_path: Path) -> None:
    platform = LocalPlatform(state_dir=tmp_path)
    platform.start()
    started = httpx.post(f"{platform.url}/v1/platform/smoke-runs", json={"name": "Restart"}, headers=_admin(platform))
    run = _finished_smoke_run(platform, started.json()["run_id"])
    assert platform.stop() == 0

    platform.start()
    before_reset = _admin(platform)
    after_restart = httpx.get(f"{platform.url}/v1/platform/smoke-runs/{run['run_id']}", headers=before_reset)
    assert after_restart.status_code == 200
    assert after_restart.json() == run
    assert platform.stop() == 0

    platform.start("--reset")
    after_reset = httpx.get(f"{platform.url}/v1/platform/smoke-runs/{run['run_id']}", headers=_admin(platform))
    assert after_reset.status_code == 404
    # The local issuer's key is new: a token of the old one says why it no longer works.
    old_token = httpx.get(f"{platform.url}/v1/platform/smoke-runs/{run['run_id']}", headers=before_reset)
    assert old_token.status_code == 401
    assert "minted before `forge dev --reset`" in old_token.json()["detail"]
    assert platform.stop() == 0


def test_a_published_template_is_countersigned_and_found_by_a_sentence(platform: LocalPlatform) -> None:
    created = httpx.post(
        f"{platform.url}/v1/tenants",
        headers=_admin(platform),
        json={"slug": "publisher", "display_name": "Publisher", "tier": "enterprise", "owner": {"subject": "pub"}},
    )
    assert created.status_code == 201, created.text
    token = LocalIssuer(platform.state_dir).mint("pub", tenant_id=created.json()["tenant_id"], role=Role.OWNER)
    owner = {"authorization": f"Bearer {token}"}
    private_pem, public_key = generate_key_pair()
    claimed = httpx.put(
        f"{platform.url}/v1/marketplace/namespaces/tides", headers=owner, json={"public_key": public_key}
    )
    assert claimed.status_code == 200, claimed.text
    manifest = {
        "kind": "workflow_template",
        "namespace": "tides",
        "name": "low-tide-alert",
        "version": "1.0.0",
        "title": "Low tide alert",
        "description": "Sends a message to the harbour team when the sea level falls below the mooring limit.",
        "license": "MIT",
        "workflow": {"name": "tide", "nodes": [{"id": "start", "type": "manual", "params": {}}], "edges": []},
    }

    published = httpx.post(
        f"{platform.url}/v1/marketplace/items/tides/low-tide-alert/versions",
        headers=owner,
        json=signed_upload(manifest, {}, private_pem),
        timeout=60,
    )

    assert published.status_code == 202 and published.json()["status"] == "pending", published.text
    scanned = wait_until(
        lambda: httpx.get(f"{platform.url}{published.headers['location']}", headers=owner, timeout=30).json(),
        lambda version: version["status"] != "pending",
        timeout=60,
    )
    assert scanned["status"] == "approved" and scanned["countersigned"] is True
    found = wait_until(
        lambda: httpx.get(
            f"{platform.url}/v1/marketplace/search",
            headers=owner,
            params={"q": "tell the boats when the water gets shallow", "mode": "semantic"},
            timeout=30,
        ).json(),
        lambda page: bool(page.get("items")),
        timeout=60,
    )
    assert found["items"][0]["name"] == "low-tide-alert"
