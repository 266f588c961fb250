"""`forge dev` serves the built console at `/` beside the API, and its local sign-in (the OAuth 2.0 code flow with
PKCE of Cognito's hosted UI) gives tokens the API accepts."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from fastapi.testclient import TestClient

from devserver.api import create_platform_api
from devserver.console import ConsoleServer
from devserver.issuer import LocalIssuer
from devserver.oauth import s256
from shared.settings import get_settings


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


CONSOLE = "http://testserver"
VERIFIER = "v" * 20 + "-._~" + "w" * 30


def authorize_params(**overrides: str) -> dict[str, str]:
    params = {
        "response_type": "code",
        "client_id": get_settings().auth_audience,
        "redirect_uri": f"{CONSOLE}/callback",
        "state": "state-1",
        "code_challenge": s256(VERIFIER),
        "code_challenge_method": "S256",
        "scope": "openid",
    }
    return {**params, **overrides}


def sign_in(server: TestClient, **fields: str) -> str:
    """The authorize form posted as a person submits it: the code the console's callback receives."""
    answer = server.post("/oauth2/authorize", data={**authorize_params(), **fields}, follow_redirects=False)
    assert answer.status_code == 302, answer.text
    location = urlsplit(answer.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{CONSOLE}/callback"
    query = parse_qs(location.query)
    assert query["state"] == ["state-1"]
    return query["code"][0]


def exchange(server: TestClient, code: str, verifier: str = VERIFIER) -> Any:
    return server.post(
        "/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "client_id": get_settings().auth_audience,
            "code": code,
            "redirect_uri": f"{CONSOLE}/callback",
            "code_verifier": verifier,
        },
    )


def test_the_authorize_page_is_the_local_sign_in_form(server: TestClient) -> None:
    page = server.get("/oauth2/authorize", params=authorize_params())
    assert page.status_code == 200
    assert "Sign in to Nexus Forge" in page.text
    assert f"value='{s256(VERIFIER)}'" in page.text
    assert "form-action 'self'" in page.headers["content-security-policy"]
    config = server.get("/config.json").json()
    assert config["authorizeUrl"] == "/oauth2/authorize" and config["tokenUrl"] == "/oauth2/token"
    assert config["clientId"] == get_settings().auth_audience
    discovery = server.get("/.well-known/openid-configuration").json()
    assert discovery["code_challenge_methods_supported"] == ["S256"]
    assert discovery["token_endpoint"].endswith("/oauth2/token")


def test_a_code_and_its_verifier_give_a_token_for_the_chosen_tenant_and_role(server: TestClient) -> None:
    answer = exchange(server, sign_in(server, subject="ada", tenant_id="t-1", role="editor"))
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    claims = jwt.decode(answer.json()["id_token"], options={"verify_signature": False})
    assert (claims["sub"], claims["tenant_id"], claims["role"]) == ("ada", "t-1", "editor")
    admin = exchange(server, sign_in(server, subject="root", platform_admin="on")).json()["id_token"]
    me = server.get("/v1/me", headers={"authorization": f"Bearer {admin}"})
    assert me.json()["is_platform_admin"] is True


def test_a_code_is_refused_with_the_wrong_verifier_and_after_its_one_use(server: TestClient) -> None:
    stolen = sign_in(server, subject="ada", tenant_id="t-1")
    wrong = exchange(server, stolen, verifier="x" * 43)
    assert wrong.status_code == 400
    assert wrong.headers["content-type"] == "application/problem+json"
    assert (wrong.json()["error"], wrong.json()["status"]) == ("invalid_grant", 400)
    # A failed exchange spends the code: the right verifier comes too late.
    assert exchange(server, stolen).json()["error"] == "invalid_grant"
    code = sign_in(server, subject="ada", tenant_id="t-1")
    assert exchange(server, code).status_code == 200
    assert exchange(server, code).json()["error_description"] == "the code is unknown, used or expired"


def test_the_authorize_endpoint_refuses_what_is_not_code_with_pkce_to_this_origin(server: TestClient) -> None:
    for wrong in (
        {"code_challenge_method": "plain"},
        {"code_challenge": ""},
        {"response_type": "token"},
        {"client_id": "someone-else"},
        {"redirect_uri": "https://elsewhere.example/callback"},
    ):
        page = server.get("/oauth2/authorize", params=authorize_params(**wrong))
        assert page.status_code == 400, wrong
        assert "<form" not in page.text
        posted = server.post(
            "/oauth2/authorize", data={**authorize_params(**wrong), "subject": "ada", "tenant_id": "t"}
        )
        assert posted.status_code == 400 and "location" not in posted.headers
    neither = server.post("/oauth2/authorize", data={**authorize_params(), "subject": "ada"}, follow_redirects=False)
    assert neither.status_code == 400
    assert "give either a tenant id (with a role) or platform admin" in neither.text
    assert "<form" in neither.text


def test_an_unbuilt_console_says_how_to_build_it(issuer: LocalIssuer, tmp_path: Path) -> None:
    server = TestClient(ConsoleServer(create_platform_api(issuer), issuer, tmp_path / "missing"))
    page = server.get("/")
    assert page.status_code == 503
    assert "make run" in page.text
