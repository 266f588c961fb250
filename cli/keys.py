"""`forge keys`: the tenant's API keys (a key's secret is shown once, at creation or rotation)."""

from __future__ import annotations

from typing import Any

import click

from cli.app import ForgeGroup, all_pages, emit, invocation, table

KEY_COLUMNS = ["key_id", "name", "role", "prefix", "created_at", "expires_at", "revoked_at"]


@click.group(cls=ForgeGroup)
def keys() -> None:
    """API keys for machines: `Authorization: Bearer nfk...` or `X-API-Key`."""


@keys.command("list")
def list_keys() -> None:
    items = all_pages("/v1/api-keys")
    emit(items, lambda rows: table(rows, KEY_COLUMNS), quiet="\n".join(i["key_id"] for i in items))


@keys.command("create")
@click.argument("name")
@click.option("--role", type=click.Choice(["owner", "admin", "editor", "viewer"]), default="viewer", show_default=True)
@click.option("--expires-at", help="ISO 8601; the key fails after it.")
def create_key(name: str, role: str, expires_at: str | None) -> None:
    """A new key; its secret is shown this once (`-q` prints only the secret)."""
    body: dict[str, Any] = {"name": name, "role": role}
    if expires_at:
        body["expires_at"] = expires_at
    key = invocation().client().post("/v1/api-keys", body)
    emit(key, _render_secret, quiet=key["api_key"])


@keys.command("rotate")
@click.argument("key_id")
def rotate_key(key_id: str) -> None:
    """A new secret for the key; the old one fails on the next request."""
    key = invocation().client().post(f"/v1/api-keys/{key_id}/rotate")
    emit(key, _render_secret, quiet=key["api_key"])


@keys.command("revoke")
@click.argument("key_id")
def revoke_key(key_id: str) -> None:
    key = invocation().client().request("DELETE", f"/v1/api-keys/{key_id}")
    emit(key, lambda k: f"revoked {k['key_id']} ({k['name']})", quiet=key["key_id"])


def _render_secret(key: dict[str, Any]) -> str:
    return f"{key['key_id']} ({key['name']}, {key['role']})\napi key (shown once): {key['api_key']}"
