"""`forge marketplace keygen` and `sign` on the publisher's machine: the private key stays in its file, the bundle's
signature verifies under the printed public key."""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from cli.main import forge
from shared.marketplace.connectors import connector_from_openapi
from shared.marketplace.manifests import ConnectorManifest, parse_manifest
from shared.marketplace.signing import publisher_signature_valid, sha256_digest, signed_payload


def test_keygen_then_sign_makes_a_bundle_that_verifies_under_the_printed_key(
    tmp_path: Path, template_manifest: dict[str, Any]
) -> None:
    runner = CliRunner()
    key_file, manifest_file, readme, bundle_file = (
        tmp_path / "publisher.key",
        tmp_path / "manifest.json",
        tmp_path / "README.md",
        tmp_path / "bundle.json",
    )
    manifest_file.write_text(json.dumps(template_manifest))
    readme.write_bytes(b"# Ping\n")

    made = runner.invoke(forge, ["marketplace", "keygen", str(key_file), "-q"])
    signed = runner.invoke(
        forge,
        [
            "marketplace",
            "sign",
            str(manifest_file),
            "--key",
            str(key_file),
            "--artefact",
            str(readme),
            "--out",
            str(bundle_file),
        ],
    )

    assert made.exit_code == 0 and signed.exit_code == 0, made.output + signed.output
    public_key = made.output.strip()
    bundle = json.loads(bundle_file.read_text())
    payload = signed_payload(
        bundle["manifest"], {"README.md": sha256_digest(base64.b64decode(bundle["artefacts"]["README.md"]))}
    )
    assert publisher_signature_valid(public_key, payload, bundle["signature"])
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600 and "PRIVATE KEY" not in bundle_file.read_text()


def test_keygen_never_overwrites_a_key(tmp_path: Path) -> None:
    key_file = tmp_path / "publisher.key"
    key_file.write_text("the publisher's only key")

    refused = CliRunner().invoke(forge, ["marketplace", "keygen", str(key_file)])

    assert refused.exit_code != 0 and key_file.read_text() == "the publisher's only key"


def test_connector_turns_a_yaml_openapi_document_into_a_manifest_the_scan_would_regenerate(tmp_path: Path) -> None:
    petstore = Path(__file__).parents[2] / "data" / "marketplace" / "petstore" / "openapi.yaml"
    answer = CliRunner().invoke(
        forge,
        [
            "marketplace",
            "connector",
            str(petstore),
            *("--namespace", "acme", "--name", "petstore", "--version", "1.0.0", "--title", "Petstore"),
            *("--description", "Pets", "--license", "Apache-2.0", "--out-dir", str(tmp_path / "out")),
        ],
    )

    assert answer.exit_code == 0, answer.output
    assert "19 node presets for https://petstore3.swagger.io/api/v3" in answer.output
    manifest = parse_manifest(json.loads((tmp_path / "out" / "manifest.json").read_text()))
    # The artefact is JSON (what the scan reads), and the presets are exactly what the scan generates from it.
    artefact = json.loads((tmp_path / "out" / "openapi.json").read_text())
    server_url, credential, presets = connector_from_openapi(artefact)
    assert isinstance(manifest, ConnectorManifest)
    assert (manifest.server_url, manifest.credential, manifest.presets) == (server_url, credential, presets)


def test_connector_names_a_document_that_is_not_openapi(tmp_path: Path) -> None:
    document = tmp_path / "notes.yaml"
    document.write_text("openapi: 3.0.4\ninfo: {title: x}\n")

    answer = CliRunner().invoke(
        forge,
        [
            "marketplace",
            "connector",
            str(document),
            *("--namespace", "acme", "--name", "x", "--version", "1.0.0", "--title", "X"),
            *("--description", "X", "--license", "MIT", "--out-dir", str(tmp_path / "out")),
        ],
    )

    assert answer.exit_code == 1 and "paths" in answer.output, answer.output
    assert not (tmp_path / "out").exists()
