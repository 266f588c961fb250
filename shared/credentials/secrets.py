"""Sealing a credential's headers and opening them for the tenant they belong to, and only that tenant.

The encryption context names the tenant, the credential and its version: a ciphertext copied into another
tenant's item (or an older version's) does not open.
"""

from __future__ import annotations

import json

from shared.crypto.secret_box import open_sealed, seal
from shared.store.credentials import CredentialItem, Credentials
from shared.store.tenant_scoped import TenantContext


def _context(tenant: TenantContext, name: str, version: int) -> dict[str, str]:
    return {"tenant_id": tenant.tenant_id, "credential": name, "version": str(version)}


def sealed_text(headers: dict[str, str]) -> str:
    return json.dumps(headers, sort_keys=True)


def seal_headers(tenant: TenantContext, name: str, version: int, headers: dict[str, str]) -> str:
    return seal(sealed_text(headers), _context(tenant, name, version))


def open_headers(tenant: TenantContext, item: CredentialItem) -> dict[str, str]:
    opened: dict[str, str] = json.loads(open_sealed(item.ciphertext, _context(tenant, item.name, int(item.version))))
    return opened


def credential_headers(tenant: TenantContext, name: str) -> dict[str, str] | None:
    """The headers the tenant's credential `name` sets, or None when the tenant has no such credential."""
    item = Credentials(tenant).get(name)
    return None if item is None else open_headers(tenant, item)
