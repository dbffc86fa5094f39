"""The one pooled HTTP client of the process: created on first use, shared by every backend.

Keep-alive connections are reused across requests (and across the turns of a chat).
"""

from __future__ import annotations

import threading

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
                )
    return _client


def timeout(settings: HttpSettings, read_s: float | None = None) -> httpx.Timeout:
    read = settings.read_timeout_s if read_s is None else read_s
    return httpx.Timeout(connect=settings.connect_timeout_s, read=read, write=read, pool=read)


def close() -> None:
    global _client
    with _lock:
        if _client is not None:
            _client.close()
            _client = None
