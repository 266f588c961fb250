"""What every HTTP provider shares: the SSRF guard on its base URL, the pinned connection, its failures, and an API
key that never reaches an exception (shown through openai_chat, the simplest of them)."""

from __future__ import annotations

import datetime
import socket
import ssl
import threading
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from shared.agents.providers import transport
from shared.agents.providers.contract import ModelTurnRequest, ProviderCall, ProviderError, ProviderFailure
from shared.agents.providers.openai_chat import PROVIDER
from shared.agents.providers.registry import ProviderName, provider
from tests.unit.agents.providers.conftest import API_KEY, ModelServer, Reply

REQUEST = ModelTurnRequest(model_id="gpt-4o-mini", messages=[{"role": "user", "content": [{"text": "Hi"}]}])
HELLO = {
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello!"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 9, "completion_tokens": 3, "total_tokens": 12},
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_loopback_base_url_is_refused_unless_the_tenant_allows_the_host(model_server: ModelServer) -> None:
    with pytest.raises(ProviderError, match=r"non-public address \(127\.0\.0\.1\)"):
        PROVIDER.converse(REQUEST, ProviderCall(base_url=model_server.url + "/v1", api_key=API_KEY))

    assert model_server.requests == []


@pytest.mark.parametrize(
    "base_url",
    ["http://169.254.169.254/v1", "http://[::ffff:169.254.169.254]/v1", "http://metadata.google.internal/v1"],
)
def test_metadata_addresses_are_refused_even_when_allowed(base_url: str) -> None:
    allowed = frozenset({"169.254.169.254", "::ffff:a9fe:a9fe", "metadata.google.internal"})

    with pytest.raises(ProviderError, match=r"never reachable|link-local or metadata"):
        PROVIDER.converse(REQUEST, ProviderCall(base_url=base_url, api_key=API_KEY, allowed_hosts=allowed))


def test_a_key_is_not_sent_over_plain_http_to_a_host_the_tenant_does_not_allow(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    resolved: list[str] = []

    def resolve_publicly(host: str, port: int) -> list[str]:
        resolved.append(host)
        return ["93.184.215.14"]

    monkeypatch.setattr(transport, "_resolve", resolve_publicly)

    with pytest.raises(ProviderError, match=r"a key goes over https, .* \(models\.example is not\)"):
        PROVIDER.converse(REQUEST, ProviderCall(base_url="http://models.example/v1", api_key=API_KEY))

    assert resolved == ["models.example"]


def test_a_base_url_that_is_not_http_is_refused() -> None:
    with pytest.raises(ProviderError, match="not an http"):
        PROVIDER.converse(REQUEST, ProviderCall(base_url="file:///etc/passwd", api_key=API_KEY))


def test_the_connection_goes_to_the_checked_address_with_the_urls_host(
    model_server: ModelServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = model_server.url.rsplit(":", 1)[1]
    monkeypatch.setattr(transport, "_resolve", lambda host, port: ["127.0.0.1"] if host == "models.internal" else [])
    model_server.reply(HELLO)

    turn = PROVIDER.converse(
        REQUEST,
        ProviderCall(
            base_url=f"http://models.internal:{port}/v1", api_key=API_KEY, allowed_hosts=frozenset({"models.internal"})
        ),
    )

    assert turn.text == "Hello!"
    assert model_server.last.headers["host"] == f"models.internal:{port}"


def _certificate(subject: str, issuer: str, key, signer, *, authority: bool) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=authority, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()), critical=False)
    )
    if authority:
        usage = x509.KeyUsage(True, False, False, False, False, True, True, False, False)
        builder = builder.add_extension(usage, critical=True)
    else:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(subject)]), critical=False)
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    return builder.sign(signer, hashes.SHA256())


@pytest.fixture
def tls_model_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModelServer]:
    """A model server with a certificate for models.internal only, from an authority the client trusts."""
    authority_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    authority = _certificate("Test CA", "Test CA", authority_key, authority_key, authority=True)
    server_certificate = _certificate("models.internal", "Test CA", server_key, authority_key, authority=False)
    (tmp_path / "ca.pem").write_bytes(authority.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "server.pem").write_bytes(
        server_certificate.public_bytes(serialization.Encoding.PEM)
        + server_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(tmp_path / "server.pem")
    monkeypatch.setattr(transport, "_tls_context", lambda: ssl.create_default_context(cafile=tmp_path / "ca.pem"))
    transport._client.cache_clear()
    monkeypatch.setattr(transport, "_resolve", lambda host, port: ["127.0.0.1"])
    server = ModelServer(tls)
    server.start()
    yield server
    server.stop()
    transport._client.cache_clear()


def test_over_tls_the_pinned_connection_verifies_the_urls_host_and_serves_no_other(
    tls_model_server: ModelServer,
) -> None:
    port = tls_model_server.url.rsplit(":", 1)[1]
    tls_model_server.reply(HELLO)
    allowed = frozenset({"models.internal", "elsewhere.internal"})

    turn = PROVIDER.converse(
        REQUEST, ProviderCall(base_url=f"https://models.internal:{port}/v1", api_key=API_KEY, allowed_hosts=allowed)
    )
    with pytest.raises(ProviderError, match="certificate"):
        PROVIDER.converse(
            REQUEST,
            ProviderCall(base_url=f"https://elsewhere.internal:{port}/v1", api_key=API_KEY, allowed_hosts=allowed),
        )

    assert turn.text == "Hello!"
    assert [request.headers["host"] for request in tls_model_server.requests] == [f"models.internal:{port}"]


def test_a_redirect_is_not_followed(model_server: ModelServer) -> None:
    model_server.reply({}, status=307, headers={"location": "http://169.254.169.254/latest/meta-data"})

    with pytest.raises(ProviderError, match="HTTP 307"):
        PROVIDER.converse(REQUEST, model_server.call("/v1"))

    assert len(model_server.requests) == 1


def test_no_answer_within_the_timeout_is_a_provider_error(model_server: ModelServer) -> None:
    release = threading.Event()
    model_server.replies.append(Reply(HELLO, hold_until=release))

    try:
        with pytest.raises(ProviderError, match=r"no answer from 127\.0\.0\.1 within 0\.5 s"):
            PROVIDER.converse(REQUEST, model_server.call("/v1", timeout_seconds=0.5))
    finally:
        release.set()


def test_an_answer_over_the_size_limit_is_a_provider_error(
    model_server: ModelServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transport, "MAX_RESPONSE_BYTES", 100)
    model_server.reply({**HELLO, "padding": "x" * 200})

    with pytest.raises(ProviderError, match="exceeds 100 bytes"):
        PROVIDER.converse(REQUEST, model_server.call("/v1"))


def _failure(make_call) -> ProviderFailure:
    with pytest.raises(ProviderFailure) as raised:
        PROVIDER.converse(REQUEST, make_call())
    return raised.value


ECHOED_KEY_REPLIES = [
    (Reply({"error": {"message": f"Incorrect API key provided: {API_KEY}."}}, 400), "HTTP 400: Incorrect API key"),
    (Reply({"error": {"message": f"Incorrect API key provided: {API_KEY}."}}, 401), "refused the credential"),
    (Reply(f"<html>bad gateway for {API_KEY}</html>".encode(), 502), "HTTP 502"),
]


@pytest.mark.parametrize("name", ["openai_chat", "openai_responses", "anthropic", "openai_compatible"])
@pytest.mark.parametrize(("reply", "expected"), ECHOED_KEY_REPLIES)
def test_the_key_is_in_no_exception_even_when_the_provider_echoes_it(
    model_server: ModelServer, name: ProviderName, reply: Reply, expected: str
) -> None:
    model_server.replies.append(reply)

    with pytest.raises(ProviderFailure) as raised:
        provider(name).converse(REQUEST, model_server.call("" if name == "anthropic" else "/v1"))

    sent_headers = model_server.last.headers
    assert API_KEY in (sent_headers.get("authorization", "") + sent_headers.get("x-api-key", ""))
    assert expected in str(raised.value)
    assert API_KEY not in "".join(traceback.format_exception(raised.value))
    assert all(API_KEY not in repr(argument) for argument in raised.value.args)


def test_the_key_is_in_no_exception_when_the_server_is_unreachable() -> None:
    failure = _failure(
        lambda: ProviderCall(
            base_url=f"http://127.0.0.1:{_free_port()}/v1", api_key=API_KEY, allowed_hosts=frozenset({"127.0.0.1"})
        )
    )

    assert "request to 127.0.0.1 failed" in str(failure)
    assert API_KEY not in "".join(traceback.format_exception(failure))


def test_a_key_that_cannot_be_a_header_value_is_refused_without_being_shown(model_server: ModelServer) -> None:
    key = API_KEY + "\r\nx-injected: 1"

    failure = _failure(lambda: model_server.call("/v1", api_key=key))

    assert "not a valid header value" in str(failure)
    assert API_KEY not in "".join(traceback.format_exception(failure))
    assert model_server.requests == []
