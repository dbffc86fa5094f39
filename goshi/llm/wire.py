"""Turning httpx failures into goshi's error tree (shared by every HTTP backend)."""

from __future__ import annotations

import re
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import httpx

from goshi.errors import ConfigError, ConnectFailed, ReadTimedOut, ServerError, StreamCut

_KEYLIKE = re.compile(r"\b(sk|rk|pk)-[A-Za-z0-9_\-*.]{6,}")


def redact(text: str, secret: str | None) -> str:
    """Remove anything that looks like an API key, and the key itself, from server text."""
    if secret:
        text = text.replace(secret, "[key]")
    return _KEYLIKE.sub(r"\1-[redacted]", text)


def host_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.netloc or url


def _root_cause(exc: BaseException) -> BaseException:
    seen: set[int] = set()
    while id(exc) not in seen:
        seen.add(id(exc))
        nxt = exc.__cause__ or exc.__context__
        if nxt is None:
            break
        exc = nxt
    return exc


@contextmanager
def translate_errors(
    backend: str, url: str, read_timeout_s: float, refused_hint: str | None = None
) -> Iterator[None]:
    """Map transport failures inside the block to goshi errors that say what to do next."""
    host = host_of(url)
    try:
        yield
    except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
        raise ConfigError(
            f"{backend}: invalid URL {url!r} ({exc})", "use a full URL such as http://host:port/v1"
        ) from None
    except httpx.ConnectTimeout as exc:
        raise ConnectFailed(
            f"{backend}: no connection to {host} within the connect timeout",
            "check the network and the URL, or raise http.connect_timeout_s",
            detail=repr(exc),
            backend=backend,
        ) from None
    except httpx.ConnectError as exc:
        raise _connect_failed(backend, host, url, exc, refused_hint) from None
    except httpx.TimeoutException as exc:
        raise ReadTimedOut(
            f"{backend}: {host} sent nothing for {read_timeout_s:g} s",
            "try again, or raise http.read_timeout_s",
            detail=repr(exc),
            backend=backend,
        ) from None
    except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
        raise StreamCut(
            f"{backend}: the connection to {host} broke ({_root_cause(exc)})",
            "try again",
            detail=repr(exc),
            backend=backend,
        ) from None
    except httpx.TransportError as exc:  # proxies and the rest: worth another try
        raise ServerError(
            f"{backend}: {host}: {exc}", "try again", detail=repr(exc), backend=backend
        ) from None


def _connect_failed(
    backend: str, host: str, url: str, exc: httpx.ConnectError, refused_hint: str | None
) -> ConnectFailed:
    cause = _root_cause(exc)
    text = str(exc)
    if isinstance(cause, ssl.SSLError) or "SSL" in text or "CERTIFICATE" in text:
        message = f"{backend}: TLS handshake with {host} failed ({text})"
        hint = "check http vs https in the URL and the system's CA certificates"
    elif isinstance(cause, socket.gaierror) or "name resolution" in text or "not known" in text:
        message = f"{backend}: cannot resolve the host name {urlsplit(url).hostname!r}"
        hint = "check the URL and your network or DNS"
    elif isinstance(cause, ConnectionRefusedError) or "refused" in text.lower():
        message = f"{backend}: connection refused by {host}"
        hint = refused_hint or f"is the server running at {url}?"
    else:
        message = f"{backend}: cannot connect to {host} ({text})"
        hint = "check the network and the URL"
    return ConnectFailed(message, hint, detail=repr(exc), backend=backend)
