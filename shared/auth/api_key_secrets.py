"""API key format: `nfk.<tenant id>.<key id>.<secret>`; the part before the secret is the public lookup prefix."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

API_KEY_SCHEME = "nfk"
_API_KEY_PATTERN = re.compile(r"^nfk\.([a-z0-9]{8,40})\.([a-z0-9]{16})\.([A-Za-z0-9_-]{43})$")


@dataclass(frozen=True)
class ParsedApiKey:
    tenant_id: str
    key_id: str
    secret: str

    @property
    def prefix(self) -> str:
        return api_key_prefix(self.tenant_id, self.key_id)


def api_key_prefix(tenant_id: str, key_id: str) -> str:
    return f"{API_KEY_SCHEME}.{tenant_id}.{key_id}"


def new_key_id() -> str:
    return secrets.token_hex(8)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    # The secret has 256 bits of entropy, so a fast hash is enough; nothing weaker than it is ever stored.
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)


def looks_like_api_key(credential: str) -> bool:
    return credential.startswith(API_KEY_SCHEME + ".")


def parse_api_key(credential: str) -> ParsedApiKey | None:
    match = _API_KEY_PATTERN.match(credential)
    if match is None:
        return None
    return ParsedApiKey(tenant_id=match[1], key_id=match[2], secret=match[3])
