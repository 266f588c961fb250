"""A tenant's owner on a fresh `forge dev`, for the benchmarks that drive the local platform over HTTP."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class LocalTenant:
    platform: Any  # devserver.subprocess_platform.LocalPlatform
    client: Any  # httpx.Client on the platform's API
    owner: dict[str, str]  # the tenant owner's Authorization header


@contextmanager
def local_tenant(timeout: float = 60.0) -> Iterator[LocalTenant]:
    """Starts `forge dev` in a temporary state directory, makes an enterprise tenant and stops the platform after."""
    import httpx

    from devserver.issuer import LocalIssuer
    from devserver.subprocess_platform import LocalPlatform

    with tempfile.TemporaryDirectory() as state_dir:
        platform = LocalPlatform(state_dir=Path(state_dir))
        platform.start(timeout=180.0)  # a busy machine starts it slowly; the benchmark measures what follows
        try:
            client = httpx.Client(base_url=platform.url, timeout=timeout)
            yield LocalTenant(platform, client, tenant_owner(client, LocalIssuer(Path(state_dir)), "bench"))
        finally:
            platform.stop()


def tenant_owner(client: Any, issuer: Any, slug: str) -> dict[str, str]:
    """Makes an enterprise tenant through the API (an httpx or test client) as a platform admin of `issuer` (a
    LocalIssuer); its owner's Authorization header."""
    from shared.auth.principal import Role

    admin = {"authorization": f"Bearer {issuer.mint('bench-admin', platform_admin=True)}"}
    tenant = client.post(
        "/v1/tenants",
        headers=admin,
        json={"slug": slug, "display_name": slug.title(), "tier": "enterprise", "owner": {"subject": "o"}},
    ).json()["tenant_id"]
    return {"authorization": f"Bearer {issuer.mint('o', tenant_id=tenant, role=Role.OWNER)}"}
