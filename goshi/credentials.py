"""Secrets stay secret: the API key is checked before it is sent and redacted from every text
goshi shows, logs or stores; credentials inside URLs are masked.

    key_problem(key)      whitespace, control or non-ASCII characters -> why it cannot be sent,
                          naming what is wrong and where, never the key itself
    remember(key)         the key read for this run; redact() removes it from any text
    redact(text)          the remembered keys, anything shaped like `sk-...`, and URL credentials
    unstored(text)        the remembered keys replaced by [redacted]: what the store keeps, so a
                          server that echoes the key cannot get it into goshi.db or an export
    mask_url(text)        `http://user:pw@host/v1` -> `http://***@host/v1`, anywhere in the text

The log formatter and the one-line error report run every message through redact(), so a key
that slipped into a server's error body or an httpx message never reaches stderr or goshi.log.
"""

from __future__ import annotations

import re

_KEYLIKE = re.compile(r"\b(sk|rk|pk)-[A-Za-z0-9_\-*.]{6,}")
_URL_CREDENTIALS = r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/@\s?#]+@"  # compiled at the first @
_known: set[str] = set()
MIN_KEY = 4  # shorter is a placeholder a local server ignores (`x`): hiding it mangles every text


def remember(key: str | None) -> None:
    if key and len(key) >= MIN_KEY:
        _known.add(key)
        if key != key.strip():  # a padded key is also redacted in the form a server echoes
            _known.add(key.strip())


def mask_url(text: str) -> str:
    return re.sub(_URL_CREDENTIALS, r"\1***@", text) if "@" in text else text


def _replace_known(text: str, mark: str, secret: str | None = None) -> str:
    """Each remembered key (and `secret`) replaced by `mark`, the longest first so a padded key
    goes whole; a placeholder shorter than MIN_KEY is left alone."""
    for key in sorted({*_known, *([secret] if secret else [])}, key=len, reverse=True):
        if len(key.strip()) >= MIN_KEY and key in text:
            text = text.replace(key, mark)
    return text


def redact(text: str, secret: str | None = None) -> str:
    return mask_url(_KEYLIKE.sub(r"\1-[redacted]", _replace_known(text, "[key]", secret)))


def unstored(text: str) -> str:
    """The text as goshi may store it: every remembered key (the one in `openai.api_key_env`)
    replaced by [redacted]. Only the keys themselves: an `sk-...` the model writes as an example
    is the user's text."""
    return _replace_known(text, "[redacted]")


def key_problem(key: str) -> str | None:
    """What is wrong with a key, without a single character of it; None when it looks sendable."""
    for position, char in enumerate(key, start=1):
        code = ord(char)
        if char.isspace():
            where = _where(position, len(key))
            name = {0x20: "a space", 0x0D: "a carriage return (CR)", 0x0A: "a newline"}
            return f"contains {name.get(code, 'whitespace')} {where}"
        if code < 0x20 or code == 0x7F:
            return f"contains a control character {_where(position, len(key))}"
        if code > 0x7E:
            return f"contains a non-ASCII character {_where(position, len(key))}"
    return None


def _where(position: int, length: int) -> str:
    if position == length:
        return "at its end"
    if position == 1:
        return "at its start"
    return f"at position {position} of {length}"
