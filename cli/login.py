"""`forge login`: a profile (base URL and credential) per environment, checked against the API before it is kept."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cli.api import ApiClient
from cli.app import ForgeCommand, emit, invocation
from cli.config import Profile, save_profile
from cli.local import DEFAULT_STATE_DIR, ROLES, mint_local_token

LOCAL_URL = "http://127.0.0.1:8000"


@click.command("login", cls=ForgeCommand)
@click.option("--url", default=LOCAL_URL, show_default=True, help="The API's base URL.")
@click.option("--local", is_flag=True, help="Mint a token from the local issuer of `forge dev`.")
@click.option("--platform-admin", is_flag=True, help="--local: as a platform admin.")
@click.option("--tenant", help="--local: the tenant (id or slug) the user is a member of.")
@click.option("--subject", default="local-admin", show_default=True, help="--local: the user id.")
@click.option("--role", type=click.Choice(ROLES), default="owner", show_default=True, help="--local: the role.")
@click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_STATE_DIR,
    envvar="FORGE_STATE_DIR",
    show_default=True,
    help="--local: where `forge dev` keeps its state (or FORGE_STATE_DIR).",
)
@click.option("--with-token", is_flag=True, help="Read the token or API key from standard input.")
def login(
    url: str,
    local: bool,
    platform_admin: bool,
    tenant: str | None,
    subject: str,
    role: str,
    state_dir: Path,
    with_token: bool,
) -> None:
    """Keep a profile: `--local` under `forge dev`, else a bearer token or API key you paste (never echoed)."""
    if local:
        if platform_admin == bool(tenant):
            raise click.UsageError("--local needs either --platform-admin or --tenant")
        tenant_id = _local_tenant_id(url, state_dir, tenant) if tenant else None
        credential = mint_local_token(state_dir, subject, tenant_id=tenant_id, role=role, platform_admin=platform_admin)
    elif with_token:
        credential = sys.stdin.readline().strip()
    else:
        credential = str(click.prompt("Token or API key", hide_input=True)).strip()
    profile = Profile(base_url=url.rstrip("/"), credential=credential)
    me = ApiClient(profile).get("/v1/me")  # a credential the API refuses is not kept
    path = save_profile(invocation().profile_name, profile)
    who = me.get("subject") or me.get("key_id") or "?"
    where = f"tenant {me['tenant_id']}" if me.get("tenant_id") else "platform admin"
    emit(
        me,
        lambda _: f"logged in as {who} ({where}) at {profile.base_url}: profile {invocation().profile_name} in {path}",
    )


def _local_tenant_id(url: str, state_dir: Path, tenant: str) -> str:
    """A slug is looked up with a platform admin's token of the same local issuer."""
    admin_token = mint_local_token(state_dir, "local-admin", tenant_id=None, role="owner", platform_admin=True)
    admin = ApiClient(Profile(base_url=url, credential=admin_token))
    cursor: str | None = None
    while True:
        page = admin.get("/v1/tenants", cursor=cursor)
        for item in page["items"]:
            if tenant in (item["tenant_id"], item["slug"]):
                return str(item["tenant_id"])
        cursor = page.get("next_cursor")
        if not cursor:
            return tenant
