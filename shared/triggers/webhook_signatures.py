"""Webhook delivery signatures: Standard Webhooks (`webhook-id`/`-timestamp`/`-signature`) and GitHub's SHA-256.

Our own code rather than the `standardwebhooks` package: that package pulls an HTTP client and date libraries
into the Lambda for what is one HMAC and a clock check, and it does not cover GitHub's scheme.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from shared.problems import ProblemError

SECRET_PREFIX = "whsec_"  # noqa: S105 - the scheme's prefix, not a secret
TOLERANCE_SECONDS = 5 * 60
SIGNATURE_VERSION = "v1"


class InvalidWebhookSignature(ProblemError):
    status = 401
    slug = "invalid-webhook-signature"
    title = "The webhook delivery is not signed correctly"


@dataclass(frozen=True)
class VerifiedDelivery:
    message_id: str
    timestamp: int


def new_webhook_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _secret_key(secret: str) -> bytes:
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        return base64.b64decode(encoded, validate=True)
    except binascii.Error as error:
        raise ValueError("a webhook secret is 'whsec_' followed by base64") from error


def sign_standard_webhook(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header value a sender computes (also what the README shows with openssl)."""
    signed_content = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_secret_key(secret), signed_content, hashlib.sha256).digest()
    return f"{SIGNATURE_VERSION},{base64.b64encode(digest).decode()}"


def verify_standard_webhook(
    active_secrets: Sequence[str], headers: Mapping[str, str], body: bytes, now: float
) -> VerifiedDelivery:
    """Accepts a delivery signed with any of the endpoint's active secrets (several during rotation)."""
    lowered = {name.lower(): value for name, value in headers.items()}
    missing = [name for name in ("webhook-id", "webhook-timestamp", "webhook-signature") if not lowered.get(name)]
    if missing:
        raise InvalidWebhookSignature(f"Missing header(s): {', '.join(missing)}")
    message_id, raw_timestamp = lowered["webhook-id"], lowered["webhook-timestamp"]
    if not raw_timestamp.isdigit():
        raise InvalidWebhookSignature("webhook-timestamp must be whole seconds since the epoch")
    timestamp = int(raw_timestamp)
    if timestamp < now - TOLERANCE_SECONDS:
        raise InvalidWebhookSignature("webhook-timestamp is too old: the delivery is stale")
    if timestamp > now + TOLERANCE_SECONDS:
        raise InvalidWebhookSignature("webhook-timestamp is too far in the future")
    presented = [
        candidate.split(",", 1)[1].encode()
        for candidate in lowered["webhook-signature"].split()
        if candidate.startswith(f"{SIGNATURE_VERSION},")
    ]
    matched = False
    for secret in active_secrets:
        expected = sign_standard_webhook(secret, message_id, timestamp, body).split(",", 1)[1].encode()
        for signature in presented:
            matched |= hmac.compare_digest(expected, signature)
    if not matched:
        raise InvalidWebhookSignature("No signature matches the body with this endpoint's secret")
    return VerifiedDelivery(message_id=message_id, timestamp=timestamp)


def sign_github_webhook(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_github_webhook(active_secrets: Sequence[str], headers: Mapping[str, str], body: bytes) -> None:
    lowered = {name.lower(): value for name, value in headers.items()}
    presented = lowered.get("x-hub-signature-256", "")
    if not presented:
        raise InvalidWebhookSignature("Missing header: X-Hub-Signature-256")
    matched = False
    for secret in active_secrets:
        matched |= hmac.compare_digest(sign_github_webhook(secret, body).encode(), presented.encode())
    if not matched:
        raise InvalidWebhookSignature("X-Hub-Signature-256 does not match the body with this endpoint's secret")
