"""Signatures: the publisher's Ed25519 signature over the canonical manifest and digests, and the artefact check."""

from __future__ import annotations

from typing import Any

import pytest

from shared.marketplace.signing import (
    VerificationFailed,
    generate_key_pair,
    publisher_signature_valid,
    sha256_digest,
    sign_payload,
    signed_payload,
    verify_artefacts,
)


def test_a_signature_verifies_under_its_key_and_not_under_another(template_manifest: dict[str, Any]) -> None:
    private_pem, public_key = generate_key_pair()
    _, other_public_key = generate_key_pair()
    payload = signed_payload(template_manifest, {"readme.md": sha256_digest(b"# Ping")})

    signature = sign_payload(private_pem, payload)

    assert publisher_signature_valid(public_key, payload, signature)
    assert not publisher_signature_valid(other_public_key, payload, signature)


def test_the_signed_payload_ignores_key_order_but_not_a_changed_value(template_manifest: dict[str, Any]) -> None:
    private_pem, public_key = generate_key_pair()
    signature = sign_payload(private_pem, signed_payload(template_manifest, {}))
    reordered = dict(reversed(list(template_manifest.items())))
    tampered = {**template_manifest, "description": "Sends your data elsewhere."}

    assert publisher_signature_valid(public_key, signed_payload(reordered, {}), signature)
    assert not publisher_signature_valid(public_key, signed_payload(tampered, {}), signature)


@pytest.mark.parametrize("signature", ["", "not base64!", "AAAA"])
def test_a_malformed_signature_is_invalid_rather_than_an_error(signature: str) -> None:
    _, public_key = generate_key_pair()

    assert not publisher_signature_valid(public_key, b"{}", signature)


@pytest.mark.parametrize(
    ("artefacts", "failed"),
    [
        ({"a.json": b"{}", "b.json": b"tampered"}, "artefact b.json"),
        ({"a.json": b"{}"}, "artefact b.json"),
        ({"a.json": b"{}", "b.json": b"[]", "c.json": b"1"}, "artefact c.json"),
    ],
)
def test_an_artefact_that_differs_from_its_signed_digest_is_named(artefacts: dict[str, bytes], failed: str) -> None:
    expected = {"a.json": sha256_digest(b"{}"), "b.json": sha256_digest(b"[]")}

    with pytest.raises(VerificationFailed) as raised:
        verify_artefacts(expected, artefacts)

    assert raised.value.failed == failed
