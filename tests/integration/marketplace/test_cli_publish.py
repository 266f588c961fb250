"""`forge marketplace register`, `sign` and `publish` against the in-process API: the bundle signed on the
publisher's machine is uploaded in chunks (the progress bar's) and the command waits until the scanner, fed by the
table's stream, approves it (or answers pending at once with --no-wait); `install`, `installs` and `uninstall` by
another tenant."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from cli import app as cli_app
from cli.api import ApiClient
from cli.config import Profile
from cli.main import forge
from devserver.api import create_platform_api
from devserver.table_stream_poller import TableStreamPoller
from shared.marketplace.signing import generate_key_pair
from tests.integration.marketplace.test_install_api import greeting_template
from tests.integration.marketplace.test_publishing_api import OPENAPI, connector, publish, signed_upload, template
from tests.integration.workflows.test_workflow_api import tenant_headers


def test_a_connector_signed_and_published_with_the_cli_is_approved_once_scanned(
    emulated_aws: Any,
    issuer: Any,
    admin_headers: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    stream: TableStreamPoller,
) -> None:
    api = TestClient(create_platform_api(issuer), raise_server_exceptions=False)
    headers = tenant_headers(api, issuer, admin_headers, "acme")
    client = ApiClient(Profile(base_url="http://testserver", credential="unused"))
    # Starlette's TestClient is an httpx.Client that calls the app in-process.
    client._http = cast(httpx.Client, TestClient(api.app, headers=headers))
    monkeypatch.setattr(cli_app.Invocation, "client", lambda self: client)
    runner = CliRunner()
    key, manifest, openapi, bundle = (tmp_path / name for name in ("acme.key", "m.json", "openapi.json", "b.json"))
    manifest.write_text(json.dumps(connector()))
    openapi.write_bytes(OPENAPI)

    public_key = runner.invoke(forge, ["marketplace", "keygen", str(key), "-q"]).output.strip()
    registered = runner.invoke(forge, ["marketplace", "register", "acme", public_key])
    signed = runner.invoke(
        forge,
        ["marketplace", "sign", str(manifest), "--key", str(key), "--artefact", str(openapi), "--out", str(bundle)],
    )
    stream.start()
    try:
        published = runner.invoke(forge, ["marketplace", "publish", str(bundle), "-q"])
    finally:
        stream.stop()

    assert registered.exit_code == 0 and signed.exit_code == 0, registered.output + signed.output
    # The stream's handlers, running in this process meanwhile, log to the same stdout before the answer.
    assert published.exit_code == 0 and published.output.splitlines()[-1] == "approved", published.output


def test_install_installs_and_uninstall_with_the_cli(
    emulated_aws: Any,
    issuer: Any,
    admin_headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    stream: TableStreamPoller,
) -> None:
    api = TestClient(create_platform_api(issuer), raise_server_exceptions=False)
    publisher = tenant_headers(api, issuer, admin_headers, "acme")
    private_pem, public_key = generate_key_pair()
    assert api.put("/v1/marketplace/namespaces/acme", headers=publisher, json={"public_key": public_key}).is_success
    assert publish(api, publisher, signed_upload(greeting_template(), {}, private_pem), stream).status_code == 202
    client = ApiClient(Profile(base_url="http://testserver", credential="unused"))
    client._http = cast(httpx.Client, TestClient(api.app, headers=tenant_headers(api, issuer, admin_headers, "buyer")))
    monkeypatch.setattr(cli_app.Invocation, "client", lambda self: client)
    runner = CliRunner()

    installed = runner.invoke(
        forge, ["marketplace", "install", "acme/greeting", "--param", "team=Acme", "--credential", "acme_api=ours"]
    )
    listed = runner.invoke(forge, ["marketplace", "installs", "-q"])
    bad = runner.invoke(forge, ["marketplace", "install", "acme-greeting"])
    uninstalled = runner.invoke(forge, ["marketplace", "uninstall", listed.output.strip()])

    assert installed.exit_code == 0, installed.output
    assert "installed acme/greeting 1.0.0 as " in installed.output and "added workflow " in installed.output
    assert "missing credentials (create them before a run): ours" in installed.output
    assert bad.exit_code == 2 and "<namespace>/<name>[@version]" in bad.output
    assert uninstalled.exit_code == 0 and "removed workflow " in uninstalled.output, uninstalled.output


def test_publish_no_wait_answers_pending_at_once(
    emulated_aws: Any, issuer: Any, admin_headers: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = TestClient(create_platform_api(issuer), raise_server_exceptions=False)
    headers = tenant_headers(api, issuer, admin_headers, "acme")
    client = ApiClient(Profile(base_url="http://testserver", credential="unused"))
    client._http = cast(httpx.Client, TestClient(api.app, headers=headers))
    monkeypatch.setattr(cli_app.Invocation, "client", lambda self: client)
    private_pem, public_key = generate_key_pair()
    assert api.put("/v1/marketplace/namespaces/acme", headers=headers, json={"public_key": public_key}).is_success
    bundle = tmp_path / "b.json"
    bundle.write_text(json.dumps(signed_upload(template(), {}, private_pem)))

    published = CliRunner().invoke(forge, ["marketplace", "publish", str(bundle), "--no-wait", "-q"])

    assert published.exit_code == 0 and published.output.strip() == "pending", published.output
