"""The local OIDC issuer of `forge dev`: a signing key under the state dir, its JWKS, and tokens for local users."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from shared.auth.principal import Role
from shared.settings import get_settings

ISSUER_DIR = "local-issuer"
DEFAULT_TOKEN_TTL_SECONDS = 12 * 3600
# The OAuth 2.0 endpoints of Cognito's hosted UI, which forge dev answers too (devserver/oauth.py).
AUTHORIZE_PATH = "/oauth2/authorize"
TOKEN_PATH = "/oauth2/token"  # noqa: S105 - a path, not a secret


class LocalIssuer:
    def __init__(self, state_dir: Path) -> None:
        self.directory = state_dir / ISSUER_DIR
        self.key_path = self.directory / "signing-key.pem"
        self.jwks_path = self.directory / "jwks.json"
        self._private_key: rsa.RSAPrivateKey | None = None

    @property
    def issuer(self) -> str:
        return get_settings().auth_issuer

    @property
    def audience(self) -> str:
        return get_settings().auth_audience

    @property
    def jwks_url(self) -> str:
        return self.jwks_path.resolve().as_uri()

    def private_key(self) -> rsa.RSAPrivateKey:
        """The signing key, made on first use and kept (owner-readable only) so tokens survive a restart."""
        if self._private_key is None:
            if self.key_path.exists():
                loaded = serialization.load_pem_private_key(self.key_path.read_bytes(), password=None)
                assert isinstance(loaded, rsa.RSAPrivateKey)
                self._private_key = loaded
            else:
                self._private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
                self.directory.mkdir(parents=True, exist_ok=True)
                pem = self._private_key.private_bytes(
                    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
                )
                self.key_path.touch(mode=0o600)
                self.key_path.write_bytes(pem)
            self.jwks_path.write_text(json.dumps(self.jwks()))
        return self._private_key

    def key_id(self) -> str:
        public_numbers = self.private_key().public_key().public_numbers()
        modulus = public_numbers.n.to_bytes((public_numbers.n.bit_length() + 7) // 8, "big")
        return base64.urlsafe_b64encode(hashlib.sha256(modulus).digest()[:12]).decode().rstrip("=")

    def jwks(self) -> dict[str, Any]:
        jwk: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(self.private_key().public_key()))
        jwk.update({"kid": self.key_id(), "use": "sig", "alg": "RS256"})
        return {"keys": [jwk]}

    def discovery_document(self, base_url: str) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "jwks_uri": f"{base_url.rstrip('/')}/.well-known/jwks.json",
            "id_token_signing_alg_values_supported": ["RS256"],
            "subject_types_supported": ["public"],
            "authorization_endpoint": f"{base_url.rstrip('/')}{AUTHORIZE_PATH}",
            "token_endpoint": f"{base_url.rstrip('/')}{TOKEN_PATH}",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"],
            "code_challenge_methods_supported": ["S256"],
        }

    def mint(
        self,
        subject: str,
        *,
        tenant_id: str | None = None,
        role: Role | None = None,
        platform_admin: bool = False,
        ttl_seconds: int = DEFAULT_TOKEN_TTL_SECONDS,
        extra_claims: dict[str, Any] | None = None,
    ) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject,
            "iat": now,
            "nbf": now,
            "exp": now + ttl_seconds,
        }
        if platform_admin:
            claims["groups"] = [get_settings().auth_platform_admin_group]
        if tenant_id is not None:
            claims["tenant_id"] = tenant_id
        if role is not None:
            claims["role"] = role.value
        claims.update(extra_claims or {})
        return jwt.encode(claims, self.private_key(), algorithm="RS256", headers={"kid": self.key_id()})
