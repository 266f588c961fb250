"""Encrypting webhook secrets at rest: KMS in the cloud, a documented AES-GCM envelope under `forge dev`.

KMS ciphertexts are bound to the tenant and the endpoint with an encryption context, so a ciphertext copied to
another tenant's item does not decrypt. Under `forge dev` (FORGE_LOCAL_ENVELOPE_KEY set) the same binding is the
AES-GCM associated data and the key is a file in `.forge/`, because the emulation can't save KMS keys across
restarts. Decrypted secrets are cached for the container's life: a delivery should not pay a KMS call.
"""

from __future__ import annotations

import base64
import json
import secrets
from functools import lru_cache

from shared.settings import get_settings

_KMS_PREFIX = "kms:"
_LOCAL_PREFIX = "local:"
_NONCE_BYTES = 12


def _context(tenant_id: str, hook_id: str) -> dict[str, str]:
    return {"tenant_id": tenant_id, "hook_id": hook_id}


def encrypt_secret(plaintext: str, tenant_id: str, hook_id: str) -> str:
    settings = get_settings()
    context = _context(tenant_id, hook_id)
    if settings.local_envelope_key is not None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        nonce = secrets.token_bytes(_NONCE_BYTES)
        key = base64.b64decode(settings.local_envelope_key.get_secret_value())
        sealed = AESGCM(key).encrypt(nonce, plaintext.encode(), json.dumps(context, sort_keys=True).encode())
        return _LOCAL_PREFIX + base64.b64encode(nonce + sealed).decode()
    from shared.aws.clients import kms_client

    blob = kms_client().encrypt(
        KeyId=settings.platform_key_alias, Plaintext=plaintext.encode(), EncryptionContext=context
    )["CiphertextBlob"]
    return _KMS_PREFIX + base64.b64encode(blob).decode()


@lru_cache(maxsize=1024)
def decrypt_secret(token: str, tenant_id: str, hook_id: str) -> str:
    context = _context(tenant_id, hook_id)
    if token.startswith(_LOCAL_PREFIX):
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        envelope_key = get_settings().local_envelope_key
        if envelope_key is None:
            raise RuntimeError("a forge dev secret needs FORGE_LOCAL_ENVELOPE_KEY to decrypt")
        data = base64.b64decode(token.removeprefix(_LOCAL_PREFIX))
        key = base64.b64decode(envelope_key.get_secret_value())
        opened = AESGCM(key).decrypt(
            data[:_NONCE_BYTES], data[_NONCE_BYTES:], json.dumps(context, sort_keys=True).encode()
        )
        return opened.decode()
    from shared.aws.clients import kms_client

    blob = base64.b64decode(token.removeprefix(_KMS_PREFIX))
    return bytes(kms_client().decrypt(CiphertextBlob=blob, EncryptionContext=context)["Plaintext"]).decode()


def new_envelope_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()
