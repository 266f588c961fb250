"""What a version's signatures cover and how they are checked.

The publisher signs, on its own machine (`forge marketplace sign`), the canonical JSON of the manifest and the
artefacts' SHA-256 digests with the Ed25519 key registered to its namespace; the platform never sees the private
key. After the scan approves the version the platform countersigns the publisher's signature and the scan's rules
version with its KMS key (ECDSA P-256), through shared/aws/kms.py in the cloud and under `forge dev` alike.
Canonical JSON: keys sorted, no whitespace, UTF-8 (RFC 8785's form for the strings and integers a manifest holds).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

PUBLIC_KEY_PREFIX = "ed25519:"
COUNTERSIGNATURE_ALGORITHM = "ECDSA_SHA_256"


class VerificationFailed(Exception):
    """A version fails verification; `failed` names what: an artefact's digest, the manifest, the publisher's
    signature or the platform's countersignature."""

    def __init__(self, failed: str, detail: str) -> None:
        super().__init__(f"{failed}: {detail}")
        self.failed = failed
        self.detail = detail


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def signed_payload(manifest: Mapping[str, Any], artefact_digests: Mapping[str, str]) -> bytes:
    """The bytes the publisher signs: the manifest and every artefact's digest."""
    return canonical_json({"manifest": manifest, "artefacts": dict(artefact_digests)})


def countersigned_payload(publisher_signature: str, payload: bytes, rules_version: str) -> bytes:
    """The bytes the platform signs once the scan under `rules_version` approved the version."""
    return canonical_json(
        {
            "payload": sha256_digest(payload),
            "publisher_signature": publisher_signature,
            "scan_rules_version": rules_version,
        }
    )


def generate_key_pair() -> tuple[bytes, str]:
    """(the private key as unencrypted PKCS#8 PEM, for the publisher's machine only; the public key to register)."""
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return pem, public_key_text(private.public_key())


def public_key_text(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return PUBLIC_KEY_PREFIX + base64.b64encode(raw).decode()


def parse_public_key(text: str) -> Ed25519PublicKey:
    """The key of `ed25519:<base64 of the 32 raw bytes>`; ValueError otherwise."""
    if not text.startswith(PUBLIC_KEY_PREFIX):
        raise ValueError(f"must start with {PUBLIC_KEY_PREFIX!r}")
    raw = base64.b64decode(text.removeprefix(PUBLIC_KEY_PREFIX), validate=True)
    if len(raw) != 32:
        raise ValueError("an Ed25519 public key is 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def sign_payload(private_key_pem: bytes, payload: bytes) -> str:
    key = serialization.load_pem_private_key(private_key_pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the private key is not an Ed25519 key")
    return base64.b64encode(key.sign(payload)).decode()


def publisher_signature_valid(public_key: str, payload: bytes, signature: str) -> bool:
    try:
        parse_public_key(public_key).verify(base64.b64decode(signature, validate=True), payload)
    except (InvalidSignature, ValueError):
        return False
    return True


def verify_artefacts(expected: Mapping[str, str], artefacts: Mapping[str, bytes]) -> None:
    """Raises VerificationFailed naming the first artefact that is missing, extra or whose digest differs."""
    for name in sorted(set(expected) | set(artefacts)):
        if name not in artefacts:
            raise VerificationFailed(f"artefact {name}", "is missing")
        if name not in expected:
            raise VerificationFailed(f"artefact {name}", "is not among the signed digests")
        if sha256_digest(artefacts[name]) != expected[name]:
            raise VerificationFailed(f"artefact {name}", "its SHA-256 digest differs from the signed one")
