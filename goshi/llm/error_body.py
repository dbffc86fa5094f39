"""The one reader of error bodies, whatever shape a server gives them.

    bytes (at most MAX_BODY read) -> JSON?
        {"error": {"message", "code", "type", "param"}}     OpenAI, Azure, newer vLLM, gateways
        {"error": "text"}                                   Ollama
        {"object": "error", "message", "type", "code"}      vLLM
        {"code", "message", "type"}                         llama.cpp (an `error:` SSE line)
        {"detail": "text" | [{"loc", "msg"}, ...]}          FastAPI servers
    -> else HTML stripped to its text, or plain text
    -> ServerFault(text: one line <= MAX_TEXT, code, param)

Used by the status-code path, a mid-stream error event and a 200 answer whose body is an error.
The matchers below (tools unsupported, context exceeded, quota, an unsupported parameter) read only
the summary, so every fallback that keys on the message works for every shape.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from goshi import json_bounds
from goshi.record import record

MAX_BODY = 64 * 1024
MAX_TEXT = 300


@record(frozen=True, slots=True)
class ServerFault:
    """What a server's error body says, in one line, with its code and parameter."""

    text: str  # one line, at most MAX_TEXT characters; "" when the body said nothing
    code: str = ""
    param: str = ""

    def mentions(self, *words: str) -> bool:
        low = f"{self.text} {self.code} {self.param}".lower()
        return any(w in low for w in words)


def read_bounded(chunks: Iterable[bytes], limit: int = MAX_BODY) -> bytes:
    """At most `limit` bytes of a body; the rest is never read."""
    got = bytearray()
    for chunk in chunks:
        got += chunk
        if len(got) >= limit:
            break
    return bytes(got[:limit])


def parse(raw: bytes | str) -> ServerFault:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    text = text[:MAX_BODY]
    try:
        obj = json_bounds.loads(text)
    except ValueError:
        return ServerFault(_one_line(_strip_html(text) if _looks_html(text) else text))
    return from_json(obj)


def from_json(obj: Any) -> ServerFault:
    """The fault in a decoded JSON body (or in the `error` object of a stream event)."""
    if isinstance(obj, str):
        return ServerFault(_one_line(obj))
    if not isinstance(obj, dict):
        return ServerFault(_one_line(_compact(obj)))
    error = obj.get("error")
    if isinstance(error, dict):
        inner = from_json(error)
        if inner.text or inner.code:
            return inner
    if isinstance(error, str) and error:
        return ServerFault(_one_line(error), _word(obj.get("code")), _word(obj.get("param")))
    detail = obj.get("detail")
    message = obj.get("message")
    if message is None and detail is not None:
        message = _detail_text(detail)
    if message is None and error is not None and error is not True:
        message = error
    if message is None:
        return ServerFault(_one_line(_compact(obj)) if obj else "")
    code = obj.get("code") if obj.get("code") is not None else obj.get("type")
    return ServerFault(
        _one_line(message if isinstance(message, str) else _compact(message)),
        _word(code),
        _word(obj.get("param")),
    )


def _detail_text(detail: Any) -> str:
    """FastAPI: a string, or a list of validation errors with `loc` and `msg`."""
    if isinstance(detail, str):
        return detail
    if isinstance(detail, list):
        said = []
        for item in detail[:5]:
            if isinstance(item, dict):
                loc = ".".join(str(p) for p in item.get("loc") or () if isinstance(p, str | int))
                msg = item.get("msg")
                said.append(f"{loc}: {msg}" if loc else str(msg))
            else:
                said.append(str(item))
        return "; ".join(said)
    return _compact(detail)


def _word(value: Any) -> str:
    if isinstance(value, str | int) and not isinstance(value, bool):
        return str(value)[:80]
    return ""


def _compact(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False)[:MAX_TEXT]
    except (TypeError, ValueError, RecursionError):
        return ""


def _looks_html(text: str) -> bool:
    head = text.lstrip()[:200].lower()
    return head.startswith("<") and ("<html" in head or "<!doctype" in head or "<head" in head)


def _strip_html(text: str) -> str:
    import html  # its entity table costs every ask 1-2 ms; only an HTML error page needs it

    text = re.sub(r"<(script|style)\b.*?</\1\s*>", " ", text, flags=re.I | re.S)
    return html.unescape(re.sub(r"<[^>]*>", " ", text))


def _one_line(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= MAX_TEXT else flat[: MAX_TEXT - 1] + "…"


# --- what a fault says, whatever its shape -----------------------------------------------------

_UNSUPPORTED = (
    "unsupported",
    "not supported",
    "unrecognized",
    "unknown",
    "not permitted",
    "not allowed",
    "extra inputs",
    "extra_forbidden",
    "instead",
)


def rejects_param(fault: ServerFault, name: str) -> bool:
    """Does the fault name `name` as a field the server will not take?"""
    if fault.param and fault.param != name:
        return False
    low = fault.text.lower()
    if re.search(rf"use '?{name}'?", low):  # "use 'max_completion_tokens' instead"
        return False
    return (fault.param == name or name in low) and any(w in low for w in _UNSUPPORTED)


def output_limit(fault: ServerFault) -> int | None:
    """'... supports at most 16384 completion tokens': the most this model may be asked for."""
    found = re.search(r"at most (\d{1,7}) (?:completion |output )?tokens", fault.text.lower())
    return int(found.group(1)) if found and int(found.group(1)) > 0 else None


def tools_unsupported(fault: ServerFault) -> bool:
    low = fault.text.lower()
    return "tool" in low and (
        "not support" in low or "auto-tool" in low or "does not support" in low
    )


def context_exceeded(fault: ServerFault) -> bool:
    return fault.code in ("context_length_exceeded", "exceed_context_size_error") or fault.mentions(
        "maximum context length", "context size", "context window", "too many tokens"
    )


def quota_exhausted(fault: ServerFault) -> bool:
    return fault.code == "insufficient_quota" or fault.mentions("exceeded your current quota")
