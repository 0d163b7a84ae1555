"""The delivery transport: which addresses are public, TLS to a pinned address, no redirects."""

import ssl
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from synthos.webhooks import transport


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("127.0.0.1", False),
        ("10.0.0.1", False),
        ("172.31.255.255", False),
        ("192.168.0.10", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("::1", False),
        ("fe80::1%eth0", False),
        ("fc00::1", False),
        ("::ffff:10.0.0.1", False),
        ("::ffff:93.184.216.34", True),
    ],
)
def test_only_global_unicast_addresses_are_public(address, public):
    assert transport._is_public(address) is public


class _Redirect(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(self.server.answer_status)
        self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def server_factory():
    servers = []

    def start(*, status: int = 200, tls_context: ssl.SSLContext | None = None) -> int:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Redirect)
        server.answer_status = status
        if tls_context is not None:
            server.socket = tls_context.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append(server)
        return server.server_address[1]

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_a_redirect_is_not_followed_and_counts_as_a_failure(server_factory, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    port = server_factory(status=302)
    result = transport.post(f"http://127.0.0.1:{port}/hook", body=b"{}", headers={}, timeout=2)
    assert result.status_code == 302 and result.is_success is False


def _self_signed(tmp_path):
    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hooks.test")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("hooks.test")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def test_https_goes_to_the_checked_address_and_verifies_the_hostname(server_factory, settings, tmp_path, monkeypatch):
    import socket

    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    cert_path, key_path = _self_signed(tmp_path)
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert_path, key_path)
    port = server_factory(tls_context=server_context)
    real_getaddrinfo = socket.getaddrinfo
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, *a, **k: (
            [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
            if host == "hooks.test"
            else real_getaddrinfo(host, *a, **k)
        ),
    )
    trusting_only_our_cert = ssl.create_default_context(cafile=cert_path)
    monkeypatch.setattr(transport.ssl, "create_default_context", lambda: trusting_only_our_cert)

    ok = transport.post(f"https://hooks.test:{port}/hook", body=b"{}", headers={}, timeout=2)
    assert ok.status_code == 200, ok.error
    # The same server reached by its address: the certificate does not name it, so TLS refuses.
    mismatch = transport.post(f"https://127.0.0.1:{port}/hook", body=b"{}", headers={}, timeout=2)
    assert mismatch.status_code is None and "CERTIFICATE_VERIFY_FAILED" in mismatch.error
