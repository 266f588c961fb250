"""A credential's values taken out of what came back from a request it authenticated (an API that echoes its
request's headers would otherwise hand the secret to the workflow's history, or to an agent's model)."""

from __future__ import annotations

from typing import Any

REDACTED = "[redacted]"
# Shorter values would redact ordinary text; no credential kind makes one.
MIN_SECRET_CHARS = 4


def secret_values(headers: dict[str, str]) -> list[str]:
    """A credential's header values, and the token of an `Authorization: <scheme> <token>` value, longest first."""
    found: set[str] = set()
    for value in headers.values():
        found.add(value)
        found.add(value.partition(" ")[2])
    return sorted((value for value in found if len(value) >= MIN_SECRET_CHARS), key=len, reverse=True)


def redact(value: Any, secrets: list[str]) -> Any:
    """`value` with every occurrence of a secret replaced, in strings, keys and nested values."""
    if not secrets:
        return value
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, REDACTED)
        return value
    if isinstance(value, dict):
        return {redact(key, secrets): redact(item, secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [redact(item, secrets) for item in value]
    return value
