"""Webhook signing secrets at rest: `shared.crypto.secret_box` bound to the tenant and the endpoint."""

from __future__ import annotations

from shared.crypto.secret_box import open_sealed, seal


def _context(tenant_id: str, hook_id: str) -> dict[str, str]:
    return {"tenant_id": tenant_id, "hook_id": hook_id}


def encrypt_secret(plaintext: str, tenant_id: str, hook_id: str) -> str:
    return seal(plaintext, _context(tenant_id, hook_id))


def decrypt_secret(token: str, tenant_id: str, hook_id: str) -> str:
    return open_sealed(token, _context(tenant_id, hook_id))
