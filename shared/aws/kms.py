"""The KMS calls of envelope encryption (shared/crypto/secret_box.py), with the encryption context that binds a
ciphertext to what it protects."""

from __future__ import annotations

from collections.abc import Mapping

from shared.aws.clients import kms_client


def encrypt(key_id: str, plaintext: bytes, context: Mapping[str, str]) -> bytes:
    """The ciphertext blob of `plaintext` under the key (an id, ARN or alias)."""
    return bytes(
        kms_client().encrypt(KeyId=key_id, Plaintext=plaintext, EncryptionContext=dict(context))["CiphertextBlob"]
    )


def decrypt(blob: bytes, context: Mapping[str, str]) -> bytes:
    """The plaintext of a ciphertext blob; KMS refuses (InvalidCiphertextException) another context."""
    return bytes(kms_client().decrypt(CiphertextBlob=blob, EncryptionContext=dict(context))["Plaintext"])
