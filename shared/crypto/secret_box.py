"""Encrypting tenant secrets at rest: KMS in the cloud, a documented AES-GCM envelope under `forge dev`.

Every ciphertext is bound to an encryption context naming whose secret it is (the tenant and the item), so a
ciphertext copied to another tenant's item does not decrypt. Under `forge dev` (FORGE_LOCAL_ENVELOPE_KEY set) the
same context is the AES-GCM associated data and the key is a file in `.forge/`, because the emulation can't save
KMS keys across restarts. Decrypted secrets are cached for the container's life: a hot path should not pay a KMS
call each time (a rotated secret is a new ciphertext, so the cache never serves a stale one).
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Mapping
from functools import lru_cache

from shared.settings import get_settings

_KMS_PREFIX = "kms:"
_LOCAL_PREFIX = "local:"
_NONCE_BYTES = 12
# KMS Encrypt takes at most this much plaintext; `seal` promises no more, whichever key seals.
SEALABLE_BYTES = 4_096

Context = Mapping[str, str]


def _associated_data(context: Context) -> bytes:
    return json.dumps(dict(context), sort_keys=True).encode()


def seal(plaintext: str, context: Context) -> str:
    """The ciphertext of `plaintext`, bound to `context`; only `open_sealed` with the same context opens it."""
    settings = get_settings()
    if settings.local_envelope_key is not None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        nonce = secrets.token_bytes(_NONCE_BYTES)
        key = base64.b64decode(settings.local_envelope_key.get_secret_value())
        sealed = AESGCM(key).encrypt(nonce, plaintext.encode(), _associated_data(context))
        return _LOCAL_PREFIX + base64.b64encode(nonce + sealed).decode()
    from shared.aws import kms

    blob = kms.encrypt(settings.platform_key_alias, plaintext.encode(), context)
    return _KMS_PREFIX + base64.b64encode(blob).decode()


def open_sealed(token: str, context: Context) -> str:
    """The plaintext of a `seal` ciphertext; fails (InvalidTag locally, InvalidCiphertextException in KMS) when
    the context is not the one it was sealed with."""
    return _open(token, tuple(sorted(context.items())))


@lru_cache(maxsize=1024)
def _open(token: str, context: tuple[tuple[str, str], ...]) -> str:
    if token.startswith(_LOCAL_PREFIX):
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        envelope_key = get_settings().local_envelope_key
        if envelope_key is None:
            raise RuntimeError("a forge dev secret needs FORGE_LOCAL_ENVELOPE_KEY to decrypt")
        data = base64.b64decode(token.removeprefix(_LOCAL_PREFIX))
        key = base64.b64decode(envelope_key.get_secret_value())
        opened = AESGCM(key).decrypt(data[:_NONCE_BYTES], data[_NONCE_BYTES:], _associated_data(dict(context)))
        return opened.decode()
    from shared.aws import kms

    return kms.decrypt(base64.b64decode(token.removeprefix(_KMS_PREFIX)), dict(context)).decode()


def new_envelope_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()
