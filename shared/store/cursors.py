"""Opaque pagination cursors, signed and bound to the list (and so the tenant) they were issued for."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from shared.problems import BadRequest
from shared.settings import get_settings

_LOCAL_DEFAULT_SECRET = "local-development-cursor-secret"  # noqa: S105 - refused outside the local stage


class InvalidCursor(BadRequest):
    slug = "invalid-cursor"
    title = "Invalid pagination cursor"


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


def decode_cursor(scope: str, cursor: str) -> dict[str, Any]:
    """The last key a cursor carries; a cursor issued for another list or tenant, or tampered with, is refused."""
    try:
        payload_text, signature_text = cursor.split(".", 1)
        payload, signature = _unb64(payload_text), _unb64(signature_text)
    except ValueError as error:
        raise InvalidCursor("The cursor is malformed; pass the next_cursor of a previous page as is") from error
    if not hmac.compare_digest(signature, _signature(scope, payload)):
        raise InvalidCursor("The cursor was not issued for this list; pass the next_cursor of a previous page")
    last_key: dict[str, Any] = json.loads(payload)
    return last_key
