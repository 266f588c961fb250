"""`forge dev` serves the built console at `/` beside the API, and the local sign-in mints tokens the API accepts."""

from __future__ import annotations

from pathlib import Path

import jwt
import pytest
from fastapi.testclient import TestClient

from devserver.api import create_platform_api
from devserver.console import ConsoleServer
from devserver.issuer import LocalIssuer


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    built = tmp_path / "dist"
    (built / "assets").mkdir(parents=True)
    (built / "index.html").write_text("<!doctype html><title>console</title>")
    (built / "assets" / "index-abc123.js").write_text("console.log('bundle')")
    (tmp_path / "secret.txt").write_text("outside the build")
    return built


@pytest.fixture
def server(emulated_aws: object, issuer: LocalIssuer, dist: Path) -> TestClient:
    return TestClient(ConsoleServer(create_platform_api(issuer), issuer, dist), raise_server_exceptions=False)


def test_console_pages_are_the_single_page_app_with_security_headers(server: TestClient, dist: Path) -> None:
    for path in ("/", "/workflows", "/executions/some-id"):
        page = server.get(path)
        assert page.status_code == 200
        assert "<title>console</title>" in page.text
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert page.headers["cache-control"] == "no-cache"
    bundle = server.get("/assets/index-abc123.js")
    assert bundle.text == "console.log('bundle')"
    assert "immutable" in bundle.headers["cache-control"]
    assert server.get("/assets/gone.js").status_code == 404
    escaping = server.app.page("/../secret.txt")  # type: ignore[attr-defined]  # the ASGI app: a ConsoleServer
    assert escaping.path == dist / "index.html"  # a FileResponse: the app, not the file outside the build


def test_api_paths_still_reach_the_api(server: TestClient) -> None:
    assert server.get("/v1/health").json()["status"] == "ok"
    refused = server.get("/v1/workflows")
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    assert server.get("/.well-known/jwks.json").json()["keys"]


def test_local_sign_in_mints_a_token_for_the_chosen_tenant_and_role(server: TestClient, issuer: LocalIssuer) -> None:
    answer = server.post("/local/token", json={"subject": "ada", "tenant_id": "t-1", "role": "editor"})
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    claims = jwt.decode(answer.json()["token"], options={"verify_signature": False})
    assert (claims["sub"], claims["tenant_id"], claims["role"]) == ("ada", "t-1", "editor")
    admin = server.post("/local/token", json={"subject": "root", "platform_admin": True}).json()["token"]
    me = server.get("/v1/me", headers={"authorization": f"Bearer {admin}"})
    assert me.json()["is_platform_admin"] is True


def test_local_sign_in_refuses_what_it_cannot_mint(server: TestClient) -> None:
    neither = server.post("/local/token", json={"subject": "ada"})
    assert neither.status_code == 422
    assert neither.json()["invalid-params"][0]["name"] == "/body"
    bad_role = server.post("/local/token", json={"subject": "ada", "tenant_id": "t-1", "role": "god"})
    assert [param["name"] for param in bad_role.json()["invalid-params"]] == ["/body/role"]
    # Only JSON: a form post from another origin's page would need a CORS preflight nothing answers.
    form = server.post("/local/token", content="subject=ada", headers={"content-type": "text/plain"})
    assert form.status_code == 415


def test_an_unbuilt_console_says_how_to_build_it(issuer: LocalIssuer, tmp_path: Path) -> None:
    server = TestClient(ConsoleServer(create_platform_api(issuer), issuer, tmp_path / "missing"))
    page = server.get("/")
    assert page.status_code == 503
    assert "make run" in page.text
