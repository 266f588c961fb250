"""Opaque pagination cursors, signed and bound to the list (and so the tenant) they were issued for."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from shared.problems import BadRequest
from shared.settings import get_settings

_LOCAL_DEFAULT_SECRET = "local-development-cursor-secret"  # noqa: S105 - refused outside the local stage
# A cursor carries a table key: two or four attributes of at most 2 KB each, base64 and a signature around them.
MAX_CURSOR_CHARS = 12_288
_MAX_KEY_VALUE_BYTES = 2048


class InvalidCursor(BadRequest):
    slug = "invalid-cursor"
    title = "Invalid pagination cursor"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, **{"invalid-params": [{"name": "/query/cursor", "reason": detail}]})


def _secret() -> bytes:
    settings = get_settings()
    secret = settings.cursor_secret.get_secret_value()
    if secret == _LOCAL_DEFAULT_SECRET and settings.stage != "local":
        raise RuntimeError("FORGE_CURSOR_SECRET must be set outside the local stage")
    return secret.encode()


def _signature(scope: str, payload: bytes) -> bytes:
    return hmac.new(_secret(), scope.encode() + b"\x00" + payload, hashlib.sha256).digest()[:16]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode_cursor(scope: str, last_key: dict[str, Any]) -> str:
    payload = json.dumps(last_key, separators=(",", ":"), sort_keys=True).encode()
    return f"{_b64(payload)}.{_b64(_signature(scope, payload))}"


def decode_cursor(scope: str, cursor: str, key: Mapping[str, str | None]) -> dict[str, Any]:
    """The last key a cursor carries; a cursor issued for another list or tenant, or tampered with, is refused.

    `key` names the attributes of the list's keys, each with the value it must have (None: any string), so even a
    cursor signed with a known secret (the local stage's is public) can only start the list inside its own
    partition, never another tenant's."""
    malformed = InvalidCursor("The cursor is malformed; pass the next_cursor of a previous page as is")
    if len(cursor) > MAX_CURSOR_CHARS:
        raise malformed
    try:
        payload_text, signature_text = cursor.split(".", 1)
        payload, signature = _unb64(payload_text), _unb64(signature_text)
    except ValueError as error:
        raise malformed from error
    if not hmac.compare_digest(signature, _signature(scope, payload)):
        raise InvalidCursor("The cursor was not issued for this list; pass the next_cursor of a previous page")
    try:
        last_key = json.loads(payload)
    except ValueError as error:
        raise malformed from error
    if not _is_key_of(last_key, key):
        raise InvalidCursor("The cursor does not point into this list; pass the next_cursor of a previous page")
    return dict(last_key)


def _is_key_of(last_key: object, key: Mapping[str, str | None]) -> bool:
    if not isinstance(last_key, dict) or set(last_key) != set(key):
        return False
    for name, required in key.items():
        value = last_key[name]
        if not isinstance(value, dict) or set(value) != {"S"} or not isinstance(value["S"], str):
            return False
        if not value["S"] or len(value["S"].encode()) > _MAX_KEY_VALUE_BYTES:
            return False
        if required is not None and value["S"] != required:
            return False
    return True
