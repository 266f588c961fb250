"""Tenant credentials for `http_request` nodes: created and rotated with their secret, read back as metadata only.

A workflow names a credential (`params.credential`); the `node_http` function resolves the name for the
execution's tenant when the request is made. Secret values are write-only: sealed before they are stored
(`shared.credentials.secrets`), held as `SecretStr` until then, and no response, problem or log carries them.
"""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    SecretStr,
    ValidatorFunctionWrapHandler,
    WithJsonSchema,
    field_validator,
)
from pynamodb.exceptions import PutError

from shared.credentials.secrets import seal_headers, sealed_text
from shared.crypto.secret_box import SEALABLE_BYTES
from shared.header_rules import HEADER_TOKEN, header_name_error, header_value_error
from shared.problems import Conflict, NotFound
from shared.store.credentials import CredentialItem, Credentials
from shared.store.tenant_scoped import TenantContext

# The `credential` parameter of an `http_request` node names credentials the same way.
NAME_PATTERN = r"^[A-Za-z0-9_.-]{1,128}$"
# Set by the HTTP client from the request itself; a credential can't override them.
_RESERVED_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection", "te", "upgrade"})
_MAX_VALUE_CHARS = SEALABLE_BYTES


def _any_case(name: str) -> str:
    return "".join(f"[{character.upper()}{character}]" if character.isalpha() else character for character in name)


# What the two checks below accept, as the document says it (a JSON Schema pattern has no case-insensitive flag).
_HEADER_NAME_SCHEMA = {
    "type": "string",
    "pattern": f"^(?!(?:{'|'.join(sorted(map(_any_case, _RESERVED_HEADERS)))})$)" + HEADER_TOKEN.pattern[1:],
}
_SECRET_VALUE_SCHEMA = {
    "type": "string",
    "format": "password",
    "writeOnly": True,
    "minLength": 1,
    "maxLength": _MAX_VALUE_CHARS,
    "pattern": "^[^\\x00-\\x08\\x0a-\\x1f\\x7f]+$",
}


def _checked_value(value: SecretStr) -> SecretStr:
    text = value.get_secret_value()
    if not text or len(text) > _MAX_VALUE_CHARS:
        raise ValueError(f"must be 1 to {_MAX_VALUE_CHARS} characters")
    if header_value_error("value", text) is not None:
        raise ValueError("must not contain control characters (CR, LF, NUL or another) but a tab")
    return value


def _checked_header_name(name: str) -> str:
    reason = header_name_error(name)
    if reason is not None:
        raise ValueError(reason)
    if not HEADER_TOKEN.match(name):
        raise ValueError(f"{name!r} is not an HTTP header name")
    if name.lower() in _RESERVED_HEADERS:
        raise ValueError(f"{name!r} is set by the HTTP client, not by a credential")
    return name.lower()


def _header_names_as_property_names(schema: dict[str, Any]) -> None:
    # Pydantic states the key type as patternProperties, which leaves other keys free; the server refuses them.
    ((_, value_schema),) = schema.pop("patternProperties").items()
    schema["propertyNames"] = _HEADER_NAME_SCHEMA
    schema["additionalProperties"] = value_schema


SecretValue = Annotated[SecretStr, AfterValidator(_checked_value), WithJsonSchema(_SECRET_VALUE_SCHEMA)]
HeaderName = Annotated[str, AfterValidator(_checked_header_name), WithJsonSchema(_HEADER_NAME_SCHEMA)]


class BearerToken(BaseModel):
    """`Authorization: Bearer <token>`."""

    kind: Literal["bearer"]
    token: SecretValue

    def headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token.get_secret_value()}"}


class BasicAuth(BaseModel):
    """`Authorization: Basic <base64(username:password)>` (RFC 7617)."""

    kind: Literal["basic"]
    username: str = Field(min_length=1, max_length=256, pattern=r"^[^:\x00-\x1f\x7f]+$")
    password: SecretValue

    def headers(self) -> dict[str, str]:
        pair = f"{self.username}:{self.password.get_secret_value()}".encode()
        return {"authorization": f"Basic {base64.b64encode(pair).decode()}"}


class ApiKeyHeader(BaseModel):
    """One header carrying an API key, e.g. `X-API-Key: <value>`."""

    kind: Literal["api_key_header"]
    header: HeaderName = Field(description="The header's name, e.g. X-API-Key (shown in the metadata)")
    value: SecretValue

    def headers(self) -> dict[str, str]:
        return {self.header: self.value.get_secret_value()}


class CustomHeaders(BaseModel):
    """Several headers; their names are shown in the metadata, their values are secret."""

    kind: Literal["custom_headers"]
    headers_: dict[HeaderName, SecretValue] = Field(
        alias="headers", min_length=1, max_length=20, json_schema_extra=_header_names_as_property_names
    )

    @field_validator("headers_", mode="wrap")
    @classmethod
    def _distinct(cls, headers: object, handler: ValidatorFunctionWrapHandler) -> dict[str, SecretStr]:
        checked: dict[str, SecretStr] = handler(headers)
        if isinstance(headers, dict) and len(checked) != len(headers):
            raise ValueError("header names must differ in more than case")
        return checked

    def headers(self) -> dict[str, str]:
        return {name: value.get_secret_value() for name, value in self.headers_.items()}


AnySecret = BearerToken | BasicAuth | ApiKeyHeader | CustomHeaders


def _sealable(secret: AnySecret) -> AnySecret:
    size = len(sealed_text(secret.headers()).encode())
    if size > SEALABLE_BYTES:
        raise ValueError(f"its headers take {size} bytes sealed together; at most {SEALABLE_BYTES} bytes")
    return secret


CredentialSecret = Annotated[AnySecret, Field(discriminator="kind"), AfterValidator(_sealable)]


class CredentialCreate(BaseModel):
    name: str = Field(pattern=NAME_PATTERN, description="What `http_request` nodes name in `params.credential`")
    description: str | None = Field(default=None, max_length=500)
    secret: CredentialSecret = Field(description="Write-only: stored encrypted, never returned")


class CredentialRotation(BaseModel):
    secret: CredentialSecret = Field(description="The new secret (the kind may change); write-only")
    description: str | None = Field(default=None, max_length=500, description="Replaces the description when set")


class Credential(BaseModel):
    """A credential's metadata: never its secret."""

    name: str
    kind: str
    description: str | None
    headers: list[str] = Field(description="The headers it sets on a request (names only)")
    version: int = Field(description="1 when created; increases with every rotation")
    created_at: datetime
    created_by: str
    rotated_at: datetime | None
    rotated_by: str | None


class CredentialPage(BaseModel):
    items: list[Credential]
    next_cursor: str | None = None


def _to_model(item: CredentialItem) -> Credential:
    return Credential(
        name=item.name,
        kind=item.kind,
        description=item.description,
        headers=list(item.header_names),
        version=int(item.version),
        created_at=item.created_at,
        created_by=item.created_by,
        rotated_at=item.rotated_at,
        rotated_by=item.rotated_by,
    )


def create_credential(tenant: TenantContext, request: CredentialCreate, actor: str) -> Credential:
    headers = request.secret.headers()
    credentials = Credentials(tenant)
    item = credentials.new(
        request.name,
        name=request.name,
        kind=request.secret.kind,
        description=request.description,
        header_names=sorted(headers),
        ciphertext=seal_headers(tenant, request.name, 1, headers),
        version=1,
        created_at=datetime.now(UTC),
        created_by=actor,
    )
    try:
        credentials.create(item)
    except PutError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        raise Conflict(f"The tenant already has a credential named {request.name!r}; PUT rotates it") from None
    return _to_model(item)


def _find(tenant: TenantContext, name: str) -> CredentialItem:
    item = Credentials(tenant).get(name, consistent=True) if re.match(NAME_PATTERN, name) else None
    if item is None:
        raise NotFound(f"No credential {name!r}")
    return item


def get_credential(tenant: TenantContext, name: str) -> Credential:
    return _to_model(_find(tenant, name))


def list_credentials(tenant: TenantContext, *, limit: int, cursor: str | None) -> CredentialPage:
    page = Credentials(tenant).page(limit=limit, cursor=cursor)
    return CredentialPage(items=[_to_model(item) for item in page.items], next_cursor=page.next_cursor)


def rotate_credential(tenant: TenantContext, name: str, rotation: CredentialRotation, actor: str) -> Credential:
    """Replaces the secret; a concurrent rotation of the same credential makes one of them a 409."""
    item = _find(tenant, name)
    previous = int(item.version)
    headers = rotation.secret.headers()
    item.version = previous + 1
    item.kind = rotation.secret.kind
    item.header_names = sorted(headers)
    item.ciphertext = seal_headers(tenant, name, previous + 1, headers)
    if rotation.description is not None:
        item.description = rotation.description
    item.rotated_at = datetime.now(UTC)
    item.rotated_by = actor
    try:
        Credentials(tenant).save(item, condition=CredentialItem.version == previous)
    except PutError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        raise Conflict(f"Credential {name!r} was rotated or deleted meanwhile; read it and try again") from None
    return _to_model(item)


def delete_credential(tenant: TenantContext, name: str) -> None:
    Credentials(tenant).delete(_find(tenant, name))
