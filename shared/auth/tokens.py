"""JWT bearer tokens: verified against the issuer's JWKS (signature, iss, aud, exp, nbf), claims to a principal."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import jwt

from shared.auth.errors import InvalidCredentials
from shared.auth.principal import AuthMethod, Principal, Role
from shared.problems import ServiceUnavailable
from shared.settings import get_settings

ALGORITHMS = ["RS256"]
# Cognito puts custom attributes under `custom:`; the local issuer uses the plain names.
TENANT_CLAIMS = ("tenant_id", "custom:tenant_id")
ROLE_CLAIMS = ("role", "custom:role")
GROUP_CLAIMS = ("cognito:groups", "groups")

SigningKeyResolver = Callable[[str], Any]


class UnknownSigningKey(jwt.InvalidSignatureError):
    """The token names a key (`kid`) the issuer's key set does not have."""


ExtraAudiences = Callable[[], tuple[str, ...]]
# How long a read of the further audiences is trusted: a console client replaced by a redeploy works within this.
EXTRA_AUDIENCES_SECONDS = 300.0


def _no_extra_audiences() -> tuple[str, ...]:
    return ()


class JwtVerifier:
    def __init__(
        self,
        issuer: str,
        audience: str,
        signing_key: SigningKeyResolver,
        platform_admin_group: str,
        extra_audiences: ExtraAudiences = _no_extra_audiences,
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self.signing_key = signing_key
        self.platform_admin_group = platform_admin_group
        self._extra_audiences = extra_audiences
        self._extra: tuple[str, ...] = ()
        self._extra_read_at = -EXTRA_AUDIENCES_SECONDS

    def verify(self, token: str) -> Principal:
        try:
            claims = self._claims(token)
        except jwt.PyJWKClientConnectionError as error:
            raise ServiceUnavailable("The token issuer's key set cannot be fetched") from error
        except jwt.ExpiredSignatureError as error:
            raise InvalidCredentials("The bearer token has expired") from error
        except jwt.ImmatureSignatureError as error:
            raise InvalidCredentials("The bearer token is not valid yet (nbf)") from error
        except jwt.InvalidAudienceError as error:
            raise InvalidCredentials(f"The bearer token is not for this API (audience {self.audience})") from error
        except jwt.InvalidIssuerError as error:
            raise InvalidCredentials("The bearer token comes from an unknown issuer") from error
        except jwt.MissingRequiredClaimError as error:
            raise InvalidCredentials(f"The bearer token lacks the {error.claim!r} claim") from error
        except UnknownSigningKey as error:
            raise InvalidCredentials(
                "The bearer token's signature does not verify: it is signed by a key this platform no longer has"
                " (minted before `forge dev --reset`, or by another issuer); get a new token"
            ) from error
        except jwt.InvalidSignatureError as error:
            raise InvalidCredentials("The bearer token's signature does not verify") from error
        except (jwt.PyJWTError, ValueError) as error:
            raise InvalidCredentials(f"The bearer token is not a valid JWT: {error}") from error
        return self._principal(claims)

    def _claims(self, token: str) -> dict[str, Any]:
        key = self.signing_key(token)
        try:
            return self._decode(token, key, [self.audience])
        except jwt.InvalidAudienceError:
            extra = self._further_audiences()
            if not extra:
                raise
            return self._decode(token, key, [self.audience, *extra])

    def _decode(self, token: str, key: Any, audiences: list[str]) -> dict[str, Any]:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=ALGORITHMS,
            audience=audiences,
            issuer=self.issuer,
            options={"require": ["exp", "iss", "aud", "sub"]},
        )
        return claims

    def _further_audiences(self) -> tuple[str, ...]:
        now = time.monotonic()
        if now - self._extra_read_at >= EXTRA_AUDIENCES_SECONDS:
            self._extra = self._extra_audiences()
            self._extra_read_at = now
        return self._extra

    def _principal(self, claims: dict[str, Any]) -> Principal:
        subject = str(claims["sub"])
        groups: list[str] = next((claims[name] for name in GROUP_CLAIMS if name in claims), [])
        if claims.get("platform_admin") is True or self.platform_admin_group in groups:
            return Principal(subject=subject, method=AuthMethod.JWT, is_platform_admin=True)
        tenant_id = next((claims[name] for name in TENANT_CLAIMS if name in claims), None)
        role = next((claims[name] for name in ROLE_CLAIMS if name in claims), None)
        if not isinstance(tenant_id, str) or not tenant_id:
            raise InvalidCredentials("The bearer token lacks the 'tenant_id' claim")
        if role not in set(Role):
            raise InvalidCredentials("The bearer token lacks a valid 'role' claim (owner, admin, editor or viewer)")
        return Principal(subject=subject, method=AuthMethod.JWT, tenant_id=tenant_id, role=Role(role))


@lru_cache(maxsize=1)
def jwt_verifier() -> JwtVerifier:
    settings = get_settings()
    if not settings.auth_jwks_url:
        raise RuntimeError("FORGE_AUTH_JWKS_URL is not set: bearer tokens cannot be verified")
    parameter = settings.auth_extra_audiences_parameter
    return JwtVerifier(
        issuer=settings.auth_issuer,
        audience=settings.auth_audience,
        signing_key=_signing_key_resolver(settings.auth_jwks_url),
        platform_admin_group=settings.auth_platform_admin_group,
        extra_audiences=_audiences_in(parameter) if parameter else _no_extra_audiences,
    )


def _audiences_in(parameter_arn: str) -> ExtraAudiences:
    def read() -> tuple[str, ...]:
        from botocore.exceptions import BotoCoreError, ClientError

        from shared.aws.ssm import parameter_value

        try:
            listed = parameter_value(parameter_arn) or ""
        except (BotoCoreError, ClientError) as error:
            raise ServiceUnavailable("The list of the API's app clients cannot be read") from error
        return tuple(value.strip() for value in listed.split(",") if value.strip())

    return read


def _signing_key_resolver(jwks_url: str) -> SigningKeyResolver:
    if jwks_url.startswith("file:"):
        # The local issuer's key set is a file under the state dir; read once, like a cached JWKS.
        key_set = jwt.PyJWKSet.from_json(Path(unquote(urlparse(jwks_url).path)).read_text())

        def from_file(token: str) -> Any:
            kid = jwt.get_unverified_header(token).get("kid")
            for key in key_set.keys:
                if key.key_id == kid:
                    return key.key
            raise UnknownSigningKey(f"no key {kid!r} in the issuer's key set")

        return from_file
    # Caches the key set; an unknown `kid` refetches it, so the issuer's key rotation needs no restart.
    client = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=300, timeout=5)

    def from_jwks(token: str) -> Any:
        try:
            return client.get_signing_key_from_jwt(token).key
        except jwt.PyJWKClientConnectionError:
            raise
        except jwt.PyJWKClientError as error:  # no key of the token's `kid`, even after refetching the key set
            raise UnknownSigningKey(str(error)) from error

    return from_jwks
