"""The one pooled HTTP client of the process: created on first use, shared by every backend.

Keep-alive connections are reused across requests (and across the turns of a chat).
CA certificates are loaded at the first TLS handshake, not when the client is built: a plain-http
server (Ollama, a local OpenAI-compatible one) never pays the ~15 ms that loading them costs.
"""

from __future__ import annotations

import os
import ssl
import threading
from typing import Any

import httpx

from goshi import __version__
from goshi.config import HttpSettings

_lock = threading.Lock()
_client: httpx.Client | None = None


def client(settings: HttpSettings) -> httpx.Client:
    global _client
    if _client is None:
        with _lock:
            if _client is None:
                _client = httpx.Client(
                    limits=httpx.Limits(
                        max_connections=settings.max_connections,
                        max_keepalive_connections=settings.max_keepalive,
                        keepalive_expiry=settings.keepalive_expiry_s,
                    ),
                    timeout=timeout(settings),
                    headers={"User-Agent": f"goshi/{__version__}"},
                    follow_redirects=False,
                    verify=LazyCertsContext(ssl.PROTOCOL_TLS_CLIENT),
                )
    return _client


class LazyCertsContext(ssl.SSLContext):
    """A verifying TLS context (hostname and chain checked) that loads its CAs on first use:
    $SSL_CERT_FILE / $SSL_CERT_DIR when set, else certifi's bundle, as httpx does."""

    _certs_lock = threading.Lock()
    _certs_loaded = False

    def _load_certs(self) -> None:
        with self._certs_lock:
            if self._certs_loaded:
                return
            cafile, capath = os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR")
            if cafile or capath:
                self.load_verify_locations(cafile=cafile, capath=capath)
            else:
                import certifi

                self.load_verify_locations(cafile=certifi.where())
            self._certs_loaded = True

    def wrap_socket(self, *args: Any, **kwargs: Any) -> ssl.SSLSocket:
        self._load_certs()
        return super().wrap_socket(*args, **kwargs)

    def wrap_bio(self, *args: Any, **kwargs: Any) -> ssl.SSLObject:
        self._load_certs()
        return super().wrap_bio(*args, **kwargs)


def timeout(settings: HttpSettings, read_s: float | None = None) -> httpx.Timeout:
    read = settings.read_timeout_s if read_s is None else read_s
    return httpx.Timeout(connect=settings.connect_timeout_s, read=read, write=read, pool=read)


def close() -> None:
    global _client
    with _lock:
        if _client is not None:
            _client.close()
            _client = None
