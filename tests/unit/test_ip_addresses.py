"""The one SSRF rule (shared/ip_addresses.py) that the http_request node, the MCP client and the model providers'
transport call, and the marketplace scanner applies to the URLs an item carries."""

from __future__ import annotations

import pytest

from shared.ip_addresses import RefusalKind, address_refusal, url_refusal

NOTHING_ALLOWED: frozenset[str] = frozenset()


@pytest.mark.parametrize(
    ("host", "addresses", "allowed", "kind"),
    [
        ("metadata.google.internal", ["8.8.8.8"], frozenset({"metadata.google.internal"}), RefusalKind.METADATA),
        ("api.example", ["93.184.215.14", "169.254.169.254"], frozenset({"api.example"}), RefusalKind.METADATA),
        ("api.example", ["2002:a9fe:a9fe::"], frozenset({"api.example"}), RefusalKind.METADATA),
        ("api.example", ["93.184.215.14", "10.0.0.7"], NOTHING_ALLOWED, RefusalKind.NON_PUBLIC),
        ("api.example", ["::ffff:127.0.0.1"], NOTHING_ALLOWED, RefusalKind.NON_PUBLIC),
        ("api.example", [], NOTHING_ALLOWED, RefusalKind.NO_ADDRESS),
    ],
)
def test_a_resolved_host_is_refused_with_the_kind_of_its_worst_address(
    host: str, addresses: list[str], allowed: frozenset[str], kind: RefusalKind
) -> None:
    refusal = address_refusal(host, addresses, allowed)

    assert refusal is not None and refusal.kind is kind


def test_a_private_host_the_tenant_allows_passes_and_a_public_one_always_does() -> None:
    assert address_refusal("nas.lan", ["192.168.1.20"], frozenset({"nas.lan"})) is None
    assert address_refusal("api.example", ["93.184.215.14"], NOTHING_ALLOWED) is None


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("ftp://api.example/", RefusalKind.NOT_A_URL),
        ("https://user:secret@api.example/", RefusalKind.NOT_A_URL),
        ("https://api.example:99999/", RefusalKind.NOT_A_URL),
        ("https://*.example/", RefusalKind.NOT_A_URL),
        ("http://0.0.0.0/", RefusalKind.NOT_A_URL),
        ("http://169.254.169.254/latest/meta-data", RefusalKind.METADATA),
        ("http://[fd00:ec2::254]/", RefusalKind.METADATA),
        ("http://instance-data./", RefusalKind.METADATA),
        ("http://10.1.2.3/v1", RefusalKind.NON_PUBLIC),
        ("http://[::1]:8080/", RefusalKind.NON_PUBLIC),
    ],
)
def test_a_url_is_judged_without_resolving_its_host(url: str, kind: RefusalKind) -> None:
    refusal = url_refusal(url, NOTHING_ALLOWED)

    assert refusal is not None and refusal.kind is kind


def test_a_url_to_a_host_name_or_a_public_address_passes_without_resolving() -> None:
    assert url_refusal("https://petstore3.swagger.io/api/v3", NOTHING_ALLOWED) is None
    assert url_refusal("https://93.184.215.14/", NOTHING_ALLOWED) is None
    assert url_refusal("http://127.0.0.1:8000/", frozenset({"127.0.0.1"})) is None
