"""The KMS calls of envelope encryption (shared/crypto/secret_box.py), with the encryption context that binds a
ciphertext to what it protects, and of the marketplace's countersignature (an asymmetric signing key)."""

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


def sign(key_id: str, message: bytes, algorithm: str) -> bytes:
    """The signature of `message` (RAW: KMS hashes it) by an asymmetric signing key."""
    return bytes(
        kms_client().sign(KeyId=key_id, Message=message, MessageType="RAW", SigningAlgorithm=algorithm)["Signature"]
    )


def verify(key_id: str, message: bytes, signature: bytes, algorithm: str) -> bool:
    """Whether `signature` is valid for `message` (KMS answers an invalid one with KMSInvalidSignatureException)."""
    client = kms_client()
    try:
        answer = client.verify(
            KeyId=key_id, Message=message, MessageType="RAW", Signature=signature, SigningAlgorithm=algorithm
        )
    except client.exceptions.KMSInvalidSignatureException:
        return False
    return bool(answer["SignatureValid"])
