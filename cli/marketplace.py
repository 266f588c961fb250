"""`forge marketplace`: a publisher's key (made and kept on this machine), signing a version here, publishing it,
searching the marketplace in plain words, installing an item into the tenant, listing its installs and uninstalling
one.

The private key never leaves this machine: `sign` reads it to sign the canonical JSON of the manifest and the
artefacts' SHA-256 digests (shared/marketplace/signing.py); `publish` sends the signed bundle only."""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import click
from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

from cli.app import ForgeGroup, all_pages, console, emit, invocation, table
from shared.marketplace.manifests import ITEM_KINDS
from shared.marketplace.signing import generate_key_pair, sha256_digest, sign_payload, signed_payload

UPLOAD_CHUNK_BYTES = 65_536
INSTALLS = "/v1/marketplace/installs"
SCAN_WAIT_SECONDS = 300.0
SCAN_POLL_SECONDS = 1.0


@click.group(cls=ForgeGroup)
def marketplace() -> None:
    """Publish workflow templates, agents, connectors and MCP server listings (docs/marketplace.md)."""


@marketplace.command("keygen")
@click.argument("key_file", type=click.Path(dir_okay=False, path_type=Path))
def keygen(key_file: Path) -> None:
    """An Ed25519 key pair: the private key written to KEY_FILE (mode 0600, never sent), the public key printed for
    `forge marketplace register`."""
    if key_file.exists():
        raise click.ClickException(f"{key_file} exists: a publisher key is never overwritten")
    private_pem, public_key = generate_key_pair()
    descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as written:
        written.write(private_pem)
    emit({"public_key": public_key, "private_key_file": str(key_file)}, lambda _: public_key, quiet=public_key)


@marketplace.command("register")
@click.argument("namespace")
@click.argument("public_key")
def register(namespace: str, public_key: str) -> None:
    """Reserve NAMESPACE for the tenant with PUBLIC_KEY (or replace the key of the tenant's own namespace)."""
    answer = (
        invocation().client().request("PUT", f"/v1/marketplace/namespaces/{namespace}", json={"public_key": public_key})
    )
    emit(answer, lambda a: f"{a['namespace']}: reserved, verified={a['verified']}", quiet=answer["namespace"])


@marketplace.command("connector")
@click.argument("openapi_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--namespace", required=True, help="The publisher namespace.")
@click.option("--name", required=True, help="The item's name.")
@click.option("--version", "item_version", required=True, help="The version (semver).")
@click.option("--title", required=True)
@click.option("--description", required=True)
@click.option("--license", "license_id", required=True, help="An SPDX expression, e.g. Apache-2.0.")
@click.option("--category", "categories", multiple=True, help="A category (repeat for each).")
@click.option("--out-dir", required=True, type=click.Path(file_okay=False, path_type=Path))
def connector(
    openapi_file: Path,
    namespace: str,
    name: str,
    item_version: str,
    title: str,
    description: str,
    license_id: str,
    categories: tuple[str, ...],
    out_dir: Path,
) -> None:
    """A connector from an OpenAPI 3.x document (JSON or YAML): OUT_DIR/manifest.json with one node preset per
    operation, and OUT_DIR/openapi.json, the document as the artefact to sign with it."""
    import yaml

    from shared.marketplace.connectors import ConnectorDocumentInvalid, connector_from_openapi

    document = yaml.safe_load(openapi_file.read_text())
    if not isinstance(document, dict):
        raise click.BadParameter("is not an OpenAPI document (a JSON or YAML object)", param_hint="OPENAPI_FILE")
    try:
        server_url, credential, presets = connector_from_openapi(document)
    except ConnectorDocumentInvalid as error:
        raise click.ClickException("; ".join(error.reasons)) from error
    manifest = {
        "kind": "connector",
        "namespace": namespace,
        "name": name,
        "version": item_version,
        "title": title,
        "description": description,
        "license": license_id,
        "categories": list(categories),
        "openapi_artefact": "openapi.json",
        "server_url": server_url,
        "credential": None if credential is None else credential.model_dump(),
        "presets": [preset.model_dump() for preset in presets],
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "openapi.json").write_text(json.dumps(document))
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2))
    emit(
        {"manifest": str(out_dir / "manifest.json"), "presets": len(presets), "server_url": server_url},
        lambda r: f"{r['presets']} node presets for {r['server_url']}: {r['manifest']}",
        quiet=str(out_dir / "manifest.json"),
    )


@marketplace.command("sign")
@click.argument("manifest_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--key", "key_file", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--artefact",
    "artefact_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A file shipped with the version, named by its file name (repeat for each).",
)
@click.option("--out", "bundle_file", required=True, type=click.Path(dir_okay=False, path_type=Path))
def sign(manifest_file: Path, key_file: Path, artefact_files: tuple[Path, ...], bundle_file: Path) -> None:
    """Sign a version on this machine: BUNDLE holds the manifest, the artefacts and the signature."""
    manifest = json.loads(manifest_file.read_text())
    artefacts = {path.name: path.read_bytes() for path in artefact_files}
    digests = {name: sha256_digest(data) for name, data in artefacts.items()}
    bundle = {
        "manifest": manifest,
        "artefacts": {name: base64.b64encode(data).decode() for name, data in artefacts.items()},
        "signature": sign_payload(key_file.read_bytes(), signed_payload(manifest, digests)),
    }
    bundle_file.write_text(json.dumps(bundle))
    emit({"bundle": str(bundle_file), "digests": digests}, lambda _: f"signed {bundle_file}", quiet=str(bundle_file))


@marketplace.command("publish")
@click.argument("bundle_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--no-wait", is_flag=True, help="Answer once uploaded (pending) instead of waiting for the scan's end.")
@click.option("--timeout", "timeout_seconds", type=float, default=SCAN_WAIT_SECONDS, show_default=True)
def publish(bundle_file: Path, no_wait: bool, timeout_seconds: float) -> None:
    """Upload a signed bundle (with a progress bar), then wait while it is scanned; the answer says whether the scan
    approved it. Exit 1 when it is still pending after --timeout seconds."""
    body = bundle_file.read_bytes()
    manifest: dict[str, Any] = json.loads(body)["manifest"]
    path = f"/v1/marketplace/items/{manifest['namespace']}/{manifest['name']}/versions"
    with Progress(
        "[progress.description]{task.description}", BarColumn(), DownloadColumn(), TransferSpeedColumn(), transient=True
    ) as progress:
        task = progress.add_task(f"uploading {bundle_file.name}", total=len(body))

        def chunks() -> Iterator[bytes]:
            for start in range(0, len(body), UPLOAD_CHUNK_BYTES):
                chunk = body[start : start + UPLOAD_CHUNK_BYTES]
                yield chunk
                progress.advance(task, len(chunk))

        answer = (
            invocation()
            .client()
            .request(
                "POST",
                path,
                content=chunks(),
                headers={"content-type": "application/json", "content-length": str(len(body))},
            )
        )
    if not no_wait:
        answer = _scanned(f"{path}/{answer['version']}", answer, timeout_seconds)
    emit(
        answer,
        lambda a: (
            f"{a['namespace']}/{a['name']} {a['version']}: {a['status']}"
            + ("" if a["status"] == "approved" else f" (its report: GET {path}/{a['version']}/scan)")
        ),
        quiet=answer["status"],
    )


def _scanned(version_path: str, version: dict[str, Any], timeout_seconds: float) -> dict[str, Any]:
    """The version once the scanner has approved or rejected it, with a spinner while it is pending."""
    client = invocation().client()
    deadline = time.monotonic() + timeout_seconds
    people = not invocation().as_json and not invocation().quiet
    scanning = f"scanning {version['namespace']}/{version['name']} {version['version']}…"
    with console.status(scanning) if people else nullcontext():
        while version["status"] == "pending":
            if time.monotonic() >= deadline:
                raise click.ClickException(f"still pending after {timeout_seconds:g} s: GET {version_path}")
            time.sleep(SCAN_POLL_SECONDS)
            version = client.get(version_path)
    return version


@marketplace.command("search")
@click.argument("query", default="")
@click.option("--kind", type=click.Choice(ITEM_KINDS), help="Only items of this kind.")
@click.option("--category", help="Only items in this category.")
@click.option("--publisher", help="Only items of this publisher namespace.")
@click.option("--verified/--any-publisher", default=None, help="Only items of verified publishers.")
@click.option("--mode", type=click.Choice(["hybrid", "semantic", "keyword"]), default="hybrid", help="How to rank.")
@click.option("--limit", type=click.IntRange(1, 50), default=10)
def search(
    query: str,
    kind: str | None,
    category: str | None,
    publisher: str | None,
    verified: bool | None,
    mode: str,
    limit: int,
) -> None:
    """Find items by what they do, in plain words (e.g. "post to chat when a payment fails")."""
    filters = {"kind": kind, "category": category, "publisher": publisher, "verified": verified}
    params: dict[str, Any] = {"q": query, "mode": mode, "limit": limit}
    params |= {
        name: str(value).lower() if isinstance(value, bool) else value
        for name, value in filters.items()
        if value is not None
    }
    answer = invocation().client().request("GET", "/v1/marketplace/search", params=params)
    rows = [
        {**hit, "item": f"{hit['namespace']}/{hit['name']}", "verified": "yes" if hit["publisher_verified"] else ""}
        for hit in answer["items"]
    ]
    emit(
        answer,
        lambda _: table(
            rows,
            ["item", "kind", "latest_version", "verified", "score", "title"],
            title=f"{len(rows)} of {answer['total']}",
        ),
        quiet="\n".join(row["item"] for row in rows),
    )


def _pairs(values: tuple[str, ...], option: str, parse_json: bool) -> dict[str, Any]:
    """`k=v` options as a mapping; with `parse_json`, a value that reads as JSON (a number, true, a list) is that."""
    pairs: dict[str, Any] = {}
    for value in values:
        key, equals, text = value.partition("=")
        if not equals or not key:
            raise click.BadParameter(f"{value!r} is not key=value", param_hint=option)
        try:
            pairs[key] = json.loads(text) if parse_json else text
        except json.JSONDecodeError:
            pairs[key] = text
    return pairs


def _item_reference(reference: str) -> tuple[str, str, str | None]:
    item, _, version = reference.partition("@")
    namespace, slash, name = item.partition("/")
    if not slash or not namespace or not name:
        raise click.BadParameter(f"{reference!r} is not <namespace>/<name>[@version]", param_hint="ITEM")
    return namespace, name, version or None


@marketplace.command("install")
@click.argument("item")
@click.option("--param", "parameters", multiple=True, help="A template parameter, name=value (JSON or text).")
@click.option(
    "--credential",
    "credentials",
    multiple=True,
    help="item-credential=tenant-credential: which of the tenant's credentials stands for the item's.",
)
def install(item: str, parameters: tuple[str, ...], credentials: tuple[str, ...]) -> None:
    """Install ITEM (<namespace>/<name>[@version], default its latest approved version) into the tenant."""
    namespace, name, version = _item_reference(item)
    client = invocation().client()
    if version is None:
        version = client.get(f"/v1/marketplace/items/{namespace}/{name}")["latest_version"]
    body = {
        "namespace": namespace,
        "name": name,
        "version": version,
        "parameters": _pairs(parameters, "--param", parse_json=True),
        "credentials": _pairs(credentials, "--credential", parse_json=False),
    }
    answer = client.post(INSTALLS, body)

    def render(installed: dict[str, Any]) -> str:
        lines = [f"installed {namespace}/{name} {installed['version']} as {installed['install_id']}"]
        lines += [f"  added {added['kind']} {added['id']}" for added in installed["added"]]
        if installed["missing_credentials"]:
            missing = ", ".join(installed["missing_credentials"])
            lines.append(f"  missing credentials (create them before a run): {missing}")
        return "\n".join(lines)

    emit(answer, render, quiet=answer["install_id"])


@marketplace.command("installs")
def installs() -> None:
    """The tenant's installs."""
    rows = [
        {**row, "item": f"{row['namespace']}/{row['name']}", "added": len(row["added"])} for row in all_pages(INSTALLS)
    ]
    emit(
        rows,
        lambda found: table(found, ["install_id", "item", "version", "kind", "added", "missing_credentials"]),
        quiet="\n".join(row["install_id"] for row in rows),
    )


@marketplace.command("uninstall")
@click.argument("install_id")
def uninstall(install_id: str) -> None:
    """Remove what the install added, except what the tenant changed since (kept and listed)."""
    answer = invocation().client().request("DELETE", f"{INSTALLS}/{install_id}")

    def render(result: dict[str, Any]) -> str:
        lines = [f"uninstalled {install_id}"]
        lines += [f"  removed {thing['kind']} {thing['id']}" for thing in result["removed"]]
        lines += [f"  kept {thing['kind']} {thing['id']} (changed since the install)" for thing in result["kept"]]
        return "\n".join(lines)

    emit(answer, render, quiet=install_id)
