"""Turning httpx failures into goshi's error tree (shared by every HTTP backend)."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import httpx

from goshi.credentials import mask_url, redact
from goshi.errors import (
    ConfigError,
    ConnectFailed,
    GoshiError,
    ReadTimedOut,
    ServerError,
    StreamCut,
)

__all__ = ["host_of", "redact", "translate_errors"]


def host_of(url: str) -> str:
    """host:port, never the user:password@ a URL may carry."""
    parts = urlsplit(url)
    return parts.netloc.rpartition("@")[2] if parts.netloc else mask_url(url)


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
    """Map transport failures inside the block to goshi errors that say what to do next.

    Every text of the error is redacted: httpx quotes a header it refused, key included."""
    try:
        yield
    except GoshiError as exc:
        _redact_error(exc)
        raise
    except (httpx.TransportError, httpx.InvalidURL) as exc:
        error = _translate(exc, backend, url, read_timeout_s, refused_hint)
        _redact_error(error)
        raise error from None


def _redact_error(exc: GoshiError) -> None:
    exc.message, exc.hint, exc.detail = redact(exc.message), redact(exc.hint), redact(exc.detail)
    exc.args = (exc.message,)


def _translate(
    exc: Exception, backend: str, url: str, read_timeout_s: float, refused_hint: str | None
) -> GoshiError:
    host = host_of(url)
    detail = repr(exc)
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return ConfigError(
            f"{backend}: invalid URL {mask_url(url)!r} ({exc})",
            "use a full URL such as http://host:port/v1",
        )
    if isinstance(exc, httpx.ConnectTimeout):
        return ConnectFailed(
            f"{backend}: no connection to {host} within the connect timeout",
            "check the network and the URL, or raise http.connect_timeout_s",
            detail=detail,
            backend=backend,
        )
    if isinstance(exc, httpx.ConnectError):
        return _connect_failed(backend, host, mask_url(url), exc, refused_hint)
    if isinstance(exc, httpx.TimeoutException):
        return ReadTimedOut(
            f"{backend}: {host} sent nothing for {read_timeout_s:g} s",
            "try again, or raise http.read_timeout_s",
            detail=detail,
            backend=backend,
        )
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        return StreamCut(
            f"{backend}: the connection to {host} broke ({_root_cause(exc)})",
            "try again",
            detail=detail,
            backend=backend,
        )
    if isinstance(exc, httpx.LocalProtocolError):  # goshi could not send the request as built
        return ConfigError(
            f"{backend}: the request to {host} could not be sent ({exc})",
            "check what goes into it: the API key and openai.base_url",
            detail=detail,
        )
    # proxies and the rest of the transport errors: worth another try
    return ServerError(f"{backend}: {host}: {exc}", "try again", detail=detail, backend=backend)


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
        refused = ConnectFailed(message, hint, detail=repr(exc), backend=backend)
        refused.retry = not _on_this_machine(urlsplit(url).hostname or "")
        return refused
    else:
        message = f"{backend}: cannot connect to {host} ({text})"
        hint = "check the network and the URL"
    return ConnectFailed(message, hint, detail=repr(exc), backend=backend)


def _on_this_machine(host: str) -> bool:
    """localhost or a loopback address: a refusal there is final (nothing listens)."""
    import ipaddress

    if host.lower() in ("localhost", "localhost.localdomain") or host.lower().endswith(
        ".localhost"
    ):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
