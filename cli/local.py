"""The local platform's commands: `forge dev`, `forge token` and `forge openapi` (the checkout's tools)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from shared.resources import PROJECT_ROOT

# Absolute, so `forge token` run from any directory finds the issuer `forge dev` (run by `make run`) uses.
DEFAULT_STATE_DIR = PROJECT_ROOT / ".forge"
ROLES = ["owner", "admin", "editor", "viewer"]

state_dir_option = click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_STATE_DIR,
    envvar="FORGE_STATE_DIR",
    show_default=True,
    help="Where `forge dev` keeps its state (or FORGE_STATE_DIR).",
)


@click.command("dev")
@click.option("--port", type=int, default=8000, show_default=True, help="HTTP API port.")
@click.option("--aws-port", type=int, default=4566, show_default=True, help="AWS emulation port.")
@state_dir_option
@click.option("--reset", is_flag=True, help="Start with empty local state.")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=2,
    show_default=True,
    help="API worker processes beside the emulation's own.",
)
def dev(port: int, aws_port: int, state_dir: Path, reset: bool, workers: int) -> None:
    """Run the whole platform locally on 127.0.0.1."""
    from devserver.ports import PortUnavailable

    try:
        from devserver.platform import LocalPlatformOptions, run_local_platform

        run_local_platform(
            LocalPlatformOptions(port=port, aws_port=aws_port, state_dir=state_dir, reset=reset, workers=workers)
        )
    except PortUnavailable as error:
        click.echo(f"forge dev: {error}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: stopping is what was asked, so it is a success
        pass
    click.echo("forge dev: stopped")


@click.command("token")
@click.option("--subject", default="local-admin", show_default=True, help="The user id (`sub`).")
@click.option("--platform-admin", is_flag=True, help="A platform admin (creates the first tenant).")
@click.option("--tenant", help="The tenant id the user is a member of.")
@click.option("--role", type=click.Choice(ROLES), default="owner", show_default=True)
@click.option("--ttl", type=int, default=12 * 3600, show_default=True, help="Seconds the token is valid.")
@state_dir_option
def token(subject: str, platform_admin: bool, tenant: str | None, role: str, ttl: int, state_dir: Path) -> None:
    """Mint a bearer token from the local issuer of `forge dev`."""
    if platform_admin == bool(tenant):
        raise click.UsageError("give either --platform-admin or --tenant (with --role)")
    click.echo(
        mint_local_token(state_dir, subject, tenant_id=tenant, role=role, platform_admin=platform_admin, ttl=ttl)
    )


def mint_local_token(
    state_dir: Path, subject: str, *, tenant_id: str | None, role: str, platform_admin: bool, ttl: int = 12 * 3600
) -> str:
    """A token of the issuer whose key `forge dev` keeps in `state_dir`; never a new key the server does not know."""
    from devserver.issuer import LocalIssuer
    from shared.auth.principal import Role

    issuer = LocalIssuer(state_dir)
    if not issuer.key_path.exists():
        raise click.ClickException(
            f"no local issuer in {state_dir}: start `forge dev` first, or pass the --state-dir it was started with"
        )
    return issuer.mint(
        subject,
        tenant_id=tenant_id,
        role=Role(role) if tenant_id else None,
        platform_admin=platform_admin,
        ttl_seconds=ttl,
    )


@click.command("openapi")
@click.option("--check", is_flag=True, help="Only check that the committed document is current.")
def openapi(check: bool) -> None:
    """Write the OpenAPI document (shared/http/openapi.json)."""
    from devserver.routers import generate_openapi_document
    from shared.http.openapi_document import OPENAPI_DOCUMENT_PATH, render_openapi_document

    rendered = render_openapi_document(generate_openapi_document())
    if check:
        current = OPENAPI_DOCUMENT_PATH.read_text() if OPENAPI_DOCUMENT_PATH.exists() else ""
        if current != rendered:
            raise click.ClickException(f"{OPENAPI_DOCUMENT_PATH} is out of date: run `make openapi` and commit it")
        return
    OPENAPI_DOCUMENT_PATH.write_text(rendered)
    click.echo(f"wrote {OPENAPI_DOCUMENT_PATH}")
