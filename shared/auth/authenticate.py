"""Turns the credentials of a request (an API key or a JWT bearer token) into a principal, or a 401."""

from __future__ import annotations

from datetime import UTC, datetime

from shared.auth.api_key_secrets import looks_like_api_key, parse_api_key, secret_matches
from shared.auth.errors import InvalidCredentials, Unauthenticated
from shared.auth.principal import AuthMethod, Principal, Role, lower_role
from shared.store.tenancy import ApiKeys, Members
from shared.store.tenant_scoped import TenantContext

API_KEY_HEADER = "x-api-key"


def credential_from_headers(authorization: str | None, api_key: str | None) -> str:
    if api_key is not None and authorization is None:
        return api_key.strip()
    if authorization is None:
        raise Unauthenticated("Send `Authorization: Bearer <token or API key>` or an `X-API-Key` header")
    scheme, _, credential = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not credential.strip() or " " in credential.strip():
        raise InvalidCredentials("Malformed Authorization header: expected `Bearer <token or API key>`")
    return credential.strip()


def authenticate(authorization: str | None, api_key: str | None) -> Principal:
    credential = credential_from_headers(authorization, api_key)
    if looks_like_api_key(credential):
        return authenticate_api_key(credential)
    return authenticate_bearer_token(credential)


def authenticate_api_key(credential: str) -> Principal:
    parsed = parse_api_key(credential)
    if parsed is None:
        raise InvalidCredentials("Malformed API key")
    item = ApiKeys(TenantContext(parsed.tenant_id)).get(parsed.key_id)
    if item is None or not secret_matches(parsed.secret, item.secret_hash):
        raise InvalidCredentials("Unknown API key")
    if item.revoked_at is not None:
        raise InvalidCredentials("The API key has been revoked")
    if item.expires_at is not None and item.expires_at <= datetime.now(UTC):
        raise InvalidCredentials("The API key has expired")
    return Principal(
        subject=f"apikey:{parsed.key_id}", method=AuthMethod.API_KEY, tenant_id=parsed.tenant_id, role=Role(item.role)
    )


def authenticate_bearer_token(token: str) -> Principal:
    # Imported with the first bearer token: PyJWT and cryptography cost about 110 ms of a cold start that requests
    # with an API key (the gateway authorizer's usual case) never need (bench/cold_start.py, first invocation).
    from shared.auth.tokens import jwt_verifier

    principal = jwt_verifier().verify(token)
    if principal.is_platform_admin:
        return principal
    assert principal.tenant_id is not None and principal.role is not None
    # The membership record is the source of truth: a removed member is out, a demoted one is demoted, at once.
    try:
        tenant = TenantContext(principal.tenant_id)
    except ValueError as error:
        raise InvalidCredentials("The token's 'tenant_id' claim is not a tenant id") from error
    member = Members(tenant).get(principal.subject)
    if member is None:
        raise InvalidCredentials("The token's subject is not a member of the token's tenant")
    return Principal(
        subject=principal.subject,
        method=AuthMethod.JWT,
        tenant_id=principal.tenant_id,
        role=lower_role(principal.role, Role(member.role)),
    )
