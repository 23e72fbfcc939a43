"""A delivery connects to the address that was checked, and TLS still verifies the name.

The endpoint is a real HTTPS server on this machine with a certificate for ``hooks.example``
from a CA made here; the name is resolved only by the resolver passed to the policy, so a
request that resolved the name a second time (through the system's resolver, which knows no
``hooks.example``) could not connect at all.
"""

from __future__ import annotations

import ipaddress
import ssl
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from gatehouse.services.webhook_address import (
    Destination,
    EgressPolicy,
    IPAddress,
    resolve_destination,
)
from gatehouse.services.webhook_send import pinned_post

NAME = "hooks.example"


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _issue(
    subject: str, key: ec.EllipticCurvePrivateKey, ca_key: ec.EllipticCurvePrivateKey, ca: bool
) -> x509.Certificate:
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name("Gatehouse test CA"))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(subject)]), critical=False
        )
    return builder.sign(ca_key, hashes.SHA256())


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


class TlsEndpoint:
    """An HTTPS server on 127.0.0.1 with a certificate for ``served_name``, recording requests."""

    def __init__(self, folder: Path, served_name: str) -> None:
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca = _issue("Gatehouse test CA", ca_key, ca_key, ca=True)
        key = ec.generate_private_key(ec.SECP256R1())
        (folder / "ca.pem").write_bytes(_pem(ca))
        (folder / "leaf.pem").write_bytes(_pem(_issue(served_name, key, ca_key, ca=False)))
        (folder / "leaf.key").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        self.client_tls = ssl.create_default_context(cafile=str(folder / "ca.pem"))
        server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server_tls.load_cert_chain(folder / "leaf.pem", folder / "leaf.key")
        self.server_names: list[str | None] = []
        server_tls.sni_callback = lambda _sock, name, _ctx: self.server_names.append(name)
        self.hosts: list[str | None] = []
        endpoint = self

        class Handle(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                self.rfile.read(int(self.headers.get("content-length", "0")))
                endpoint.hosts.append(self.headers.get("host"))
                self.send_response(204)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handle)
        self.server.daemon_threads = True
        self.server.socket = server_tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


class Dns:
    """The resolver at the edge: answers what the test says, counting questions."""

    def __init__(self, answer: str) -> None:
        self.answer = answer
        self.asked = 0

    def __call__(self, host: str, port: int) -> Sequence[IPAddress]:
        self.asked += 1
        return [ipaddress.ip_address(self.answer)]


@pytest.fixture
def endpoint(tmp_path: Path) -> Iterator[TlsEndpoint]:
    served = TlsEndpoint(tmp_path, NAME)
    yield served
    served.close()


def test_the_connection_goes_to_the_checked_address_with_the_name_verified(
    endpoint: TlsEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A proxy from the environment would resolve the name itself: it must be ignored.
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("ALL_PROXY", "http://127.0.0.1:9")
    dns = Dns("127.0.0.1")
    policy = EgressPolicy.parse("127.0.0.1/32", resolve=dns)
    url = f"https://{NAME}:{endpoint.port}/hooks"
    destination = resolve_destination(url, policy)
    # The name now answers elsewhere: the checked address is still the one dialled.
    dns.answer = "10.0.0.1"

    status = pinned_post(destination, url, b"{}", {}, tls=endpoint.client_tls)

    assert status == 204
    assert dns.asked == 1
    assert endpoint.server_names == [NAME]
    assert endpoint.hosts == [f"{NAME}:{endpoint.port}"]


def test_a_certificate_for_another_name_is_refused(tmp_path: Path) -> None:
    impostor = TlsEndpoint(tmp_path, "other.example")
    try:
        policy = EgressPolicy.parse("127.0.0.1/32", resolve=Dns("127.0.0.1"))
        url = f"https://{NAME}:{impostor.port}/hooks"
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            pinned_post(resolve_destination(url, policy), url, b"{}", {}, tls=impostor.client_tls)
        assert impostor.hosts == []
    finally:
        impostor.close()


def test_an_address_that_does_not_connect_gives_way_to_the_next(endpoint: TlsEndpoint) -> None:
    # Nothing listens on ::1 at this port (the server is bound to 127.0.0.1 only).
    addresses = (ipaddress.ip_address("::1"), ipaddress.ip_address("127.0.0.1"))
    destination = Destination("https", NAME, endpoint.port, addresses)
    url = f"https://{NAME}:{endpoint.port}/hooks"
    assert pinned_post(destination, url, b"{}", {}, tls=endpoint.client_tls) == 204
    assert endpoint.hosts == [f"{NAME}:{endpoint.port}"]
