"""Each way a webhook delivery can be forged, stale or malformed is refused with a clear reason."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from shared.triggers.webhook_signatures import (
    InvalidWebhookSignature,
    new_webhook_secret,
    sign_github_webhook,
    sign_standard_webhook,
    verify_github_webhook,
    verify_standard_webhook,
)

NOW = 1_800_000_000
BODY = b'{"order": 42}'


def _headers(secret: str, message_id: str = "msg_1", timestamp: int = NOW, body: bytes = BODY) -> dict[str, str]:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign_standard_webhook(secret, message_id, timestamp, body),
    }


def test_a_correctly_signed_delivery_is_accepted() -> None:
    secret = new_webhook_secret()
    delivery = verify_standard_webhook([secret], _headers(secret), BODY, now=NOW)
    assert (delivery.message_id, delivery.timestamp) == ("msg_1", NOW)


def test_the_signature_follows_the_standard_webhooks_scheme() -> None:
    key = b"0123456789abcdef0123456789abcdef"
    secret = "whsec_" + base64.b64encode(key).decode()
    expected = base64.b64encode(hmac.new(key, f"msg_1.{NOW}.".encode() + BODY, hashlib.sha256).digest()).decode()
    assert sign_standard_webhook(secret, "msg_1", NOW, BODY) == f"v1,{expected}"


def test_wrong_secret_is_refused() -> None:
    headers = _headers(new_webhook_secret())
    with pytest.raises(InvalidWebhookSignature, match="No signature matches"):
        verify_standard_webhook([new_webhook_secret()], headers, BODY, now=NOW)


def test_tampered_body_is_refused() -> None:
    secret = new_webhook_secret()
    with pytest.raises(InvalidWebhookSignature, match="No signature matches"):
        verify_standard_webhook([secret], _headers(secret), b'{"order": 43}', now=NOW)


def test_tampered_id_is_refused() -> None:
    secret = new_webhook_secret()
    headers = {**_headers(secret), "webhook-id": "msg_2"}
    with pytest.raises(InvalidWebhookSignature):
        verify_standard_webhook([secret], headers, BODY, now=NOW)


@pytest.mark.parametrize(("offset", "reason"), [(-301, "too old"), (301, "future")], ids=["stale", "future"])
def test_timestamps_outside_five_minutes_are_refused(offset: int, reason: str) -> None:
    secret = new_webhook_secret()
    with pytest.raises(InvalidWebhookSignature, match=reason):
        verify_standard_webhook([secret], _headers(secret, timestamp=NOW + offset), BODY, now=NOW)


def test_timestamps_at_the_edge_of_the_window_are_accepted() -> None:
    secret = new_webhook_secret()
    for offset in (-300, 300):
        verify_standard_webhook([secret], _headers(secret, timestamp=NOW + offset), BODY, now=NOW)


@pytest.mark.parametrize("header", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_each_missing_header_is_named(header: str) -> None:
    secret = new_webhook_secret()
    headers = _headers(secret)
    del headers[header]
    with pytest.raises(InvalidWebhookSignature, match=header):
        verify_standard_webhook([secret], headers, BODY, now=NOW)


def test_a_non_numeric_timestamp_is_refused() -> None:
    secret = new_webhook_secret()
    with pytest.raises(InvalidWebhookSignature, match="whole seconds"):
        verify_standard_webhook([secret], {**_headers(secret), "webhook-timestamp": "yesterday"}, BODY, now=NOW)


def test_during_rotation_either_secret_and_any_listed_signature_is_accepted() -> None:
    old, new = new_webhook_secret(), new_webhook_secret()
    signed_with_old = _headers(old)
    verify_standard_webhook([new, old], signed_with_old, BODY, now=NOW)
    both = f"{sign_standard_webhook(new, 'msg_1', NOW, BODY)} {signed_with_old['webhook-signature']}"
    verify_standard_webhook([new], {**signed_with_old, "webhook-signature": both}, BODY, now=NOW)
    with pytest.raises(InvalidWebhookSignature):
        verify_standard_webhook([new], signed_with_old, BODY, now=NOW)


def test_headers_are_case_insensitive() -> None:
    secret = new_webhook_secret()
    headers = {name.title(): value for name, value in _headers(secret).items()}
    verify_standard_webhook([secret], headers, BODY, now=NOW)


def test_github_signature_is_checked() -> None:
    verify_github_webhook(["s3cret"], {"X-Hub-Signature-256": sign_github_webhook("s3cret", BODY)}, BODY)
    with pytest.raises(InvalidWebhookSignature, match="does not match"):
        verify_github_webhook(["other"], {"X-Hub-Signature-256": sign_github_webhook("s3cret", BODY)}, BODY)
    with pytest.raises(InvalidWebhookSignature, match="Missing header"):
        verify_github_webhook(["s3cret"], {}, BODY)
