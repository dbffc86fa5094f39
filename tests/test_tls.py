"""TLS over loopback: certificates are verified (loaded lazily, but always before a handshake)."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.wire_server import WireServer, openai_stream

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[WireServer, Path]]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        start_new_session=True,
    )
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv = WireServer()
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.start()
    yield srv, cert
    srv.stop()


def test_an_untrusted_certificate_is_refused(goshi, tls_server) -> None:
    srv, _ = tls_server
    r = goshi("ask", "hi", OPENAI_BASE_URL=srv.url.replace("http:", "https:") + "/v1")
    assert r.code == 5
    assert "TLS handshake" in r.stderr and "CERTIFICATE_VERIFY_FAILED" in r.stderr
    assert "Traceback" not in r.stderr


def test_a_certificate_trusted_through_ssl_cert_file_works(goshi, tls_server) -> None:
    srv, cert = tls_server
    srv.openai.push(openai_stream("over TLS"))
    r = goshi(
        "ask",
        "hi",
        OPENAI_BASE_URL=srv.url.replace("http:", "https:") + "/v1",
        SSL_CERT_FILE=str(cert),
    )
    assert (r.code, r.stdout) == (0, "over TLS\n"), r.stderr
