"""`forge tenants`: a platform admin's tenants."""

from __future__ import annotations

import click

from cli.app import ForgeGroup, all_pages, emit, invocation, table


@click.group(cls=ForgeGroup)
def tenants() -> None:
    """Tenants (platform admins)."""


@tenants.command("list")
def list_tenants() -> None:
    items = all_pages("/v1/tenants")
    columns = ["tenant_id", "slug", "display_name", "tier", "status"]
    emit(items, lambda rows: table(rows, columns), quiet="\n".join(i["tenant_id"] for i in items))


@tenants.command("create")
@click.argument("slug")
@click.option("--name", "display_name", required=True)
@click.option("--tier", type=click.Choice(["basic", "professional", "enterprise"]), default="basic", show_default=True)
@click.option("--owner", required=True, help="The owner's subject (user id).")
def create_tenant(slug: str, display_name: str, tier: str, owner: str) -> None:
    """A tenant with its first owner."""
    body = {"slug": slug, "display_name": display_name, "tier": tier, "owner": {"subject": owner}}
    tenant = invocation().client().post("/v1/tenants", body)
    emit(tenant, lambda t: f"created {t['slug']} ({t['tenant_id']}, {t['tier']})", quiet=tenant["tenant_id"])


@tenants.command("configure")
@click.argument("tenant_id", required=False)
@click.option(
    "--http-allowed-host",
    "hosts",
    multiple=True,
    required=True,
    help="A host (name or IP address) http_request nodes may reach although it is private or loopback; repeatable.",
)
def configure_tenant(tenant_id: str | None, hosts: tuple[str, ...]) -> None:
    """Change a tenant's settings (by default your own tenant's; admins and owners)."""
    client = invocation().client()
    target = tenant_id or client.get("/v1/me")["tenant_id"]
    tenant = client.request("PATCH", f"/v1/tenants/{target}", json={"settings": {"http_allowed_hosts": list(hosts)}})
    emit(tenant, lambda t: f"{t['slug']}: http_allowed_hosts {t['settings']['http_allowed_hosts']}", quiet=target)
