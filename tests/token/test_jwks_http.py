"""The asyncio JWKS GET (jwks_http.py) against a loopback server that answers canned bytes:
each way an HTTP/1.1 body may be framed, and each way an answer must be refused."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from jurisgate.middleware.token.jwks_http import http_get

BODY = b'{"keys": []}'
Serve = Callable[..., str]


@pytest.fixture
def serve() -> Iterator[Serve]:
    """``serve(answer)``: a URL whose server reads one request, sends ``answer``, closes."""
    listeners: list[socket.socket] = []
    threads: list[threading.Thread] = []

    def start(answer: bytes, tls: ssl.SSLContext | None = None) -> str:
        listener = socket.create_server(("127.0.0.1", 0))
        listeners.append(listener)

        def once() -> None:
            plain, _ = listener.accept()
            try:
                conn = tls.wrap_socket(plain, server_side=True) if tls is not None else plain
            except (OSError, ssl.SSLError):  # the client refused our certificate
                plain.close()
                return
            with conn:
                request = b""
                while b"\r\n\r\n" not in request:
                    request += conn.recv(4096)
                conn.sendall(answer)

        thread = threading.Thread(target=once, daemon=True)
        thread.start()
        threads.append(thread)
        scheme = "https" if tls is not None else "http"
        return f"{scheme}://127.0.0.1:{listener.getsockname()[1]}/jwks.json"

    yield start
    for thread in threads:
        thread.join(timeout=5)
    for listener in listeners:
        listener.close()


def get(url: str, max_bytes: int = 1024) -> bytes:
    with ThreadPoolExecutor(1) as resolver:
        return asyncio.run(http_get(url, deadline=5, max_bytes=max_bytes, resolver=resolver))


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n" + BODY,
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n"
        + BODY[:5]
        + b"\r\n7;ext=1\r\n"
        + BODY[5:]
        + b"\r\n0\r\n\r\n",
        b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n" + BODY,  # ends at close
    ],
    ids=["content-length", "chunked", "until-close"],
)
def test_bodies_framed_every_way_are_read(serve: Serve, answer: bytes) -> None:
    assert get(serve(answer)) == BODY


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (b"HTTP/1.1 302 Found\r\nLocation: http://evil.test/\r\n\r\n", OSError),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n", ValueError),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1000\r\n", ValueError),
        (b"HTTP/1.1 200 OK\r\n\r\n" + b"x" * 2000, ValueError),
        (b"HTTP/1.1 200 OK\r\nContent-Length: lots\r\n\r\n", ValueError),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n" + BODY, OSError),  # cut short
        (b"SSH-2.0-OpenSSH\r\n\r\n", ValueError),
        (b"HTTP/1.1 200 OK\r\nX-Pad: " + b"a" * 20_000 + b"\r\n\r\n", ValueError),
    ],
    ids=[
        "redirect",
        "too-long",
        "chunk-too-long",
        "close-too-long",
        "bad-length",
        "cut-short",
        "not-http",
        "huge-head",
    ],
)
def test_bad_answers_are_refused(serve: Serve, answer: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        get(serve(answer))


def certificate(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: tuple[x509.Name, ec.EllipticCurvePrivateKey] | None,
) -> x509.Certificate:
    """A CA certificate (no issuer given) or a server one for 127.0.0.1, signed by ``issuer``."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    signer_name, signer_key = issuer if issuer is not None else (name, key)
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(signer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=issuer is None, path_length=None), critical=True)
    )
    if issuer is not None:
        san = x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
        builder = builder.add_extension(san, critical=False)
    return builder.sign(signer_key, hashes.SHA256())


@pytest.fixture
def server_tls(tmp_path: Path) -> tuple[ssl.SSLContext, Path]:
    """A server context for 127.0.0.1 and the PEM file of the CA that signed it."""
    ca_key, server_key = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )
    ca = certificate("test CA", ca_key, None)
    leaf = certificate("127.0.0.1", server_key, (ca.subject, ca_key))
    ca_file, chain, key_file = tmp_path / "ca.pem", tmp_path / "chain.pem", tmp_path / "key.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    chain.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain, key_file)
    return context, ca_file


def test_https_verifies_the_server_against_the_system_trust_store(
    serve: Serve, server_tls: tuple[ssl.SSLContext, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    context, ca_file = server_tls
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n" + BODY
    with pytest.raises(ssl.SSLCertVerificationError):  # our CA is not trusted (yet)
        get(serve(answer, context))
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))  # what OpenSSL's default paths read
    assert get(serve(answer, context)) == BODY
