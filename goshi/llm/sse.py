"""Server-sent events, read the way chat servers really write them.

    text -> lines (split on \\r\\n, \\r, \\n only: U+2028 inside JSON text is not a line end)
         -> events: `data:` lines joined by \\n, `event:` names the event, a blank line ends it

Besides the standard fields, a line `error: {...}` (llama.cpp's server sends its failures that
way) becomes an event named "error", so the failure is read rather than dropped as unknown.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from goshi.record import record


@record(frozen=True, slots=True)
class SSE:
    """One server-sent event: its name and its data lines joined."""

    event: str
    data: str


def lines(chunks: Iterable[str]) -> Iterator[str]:
    rest = ""
    for chunk in chunks:
        text = rest + chunk
        if "\r" in text:
            held = "\r" if text.endswith("\r") else ""  # maybe the first half of \r\n
            text = (text[:-1] if held else text).replace("\r\n", "\n").replace("\r", "\n")
            parts = text.split("\n")
            rest = parts.pop() + held
        else:
            parts = text.split("\n")
            rest = parts.pop()
        yield from parts
    rest = rest.rstrip("\r")
    if rest:
        yield rest


def events(chunks: Iterable[str]) -> Iterator[SSE]:
    name, data = "", list[str]()
    for line in lines(chunks):
        if not line:
            if data:
                yield SSE(name or "message", "\n".join(data))
            name, data = "", []
            continue
        field, colon, value = line.partition(":")
        if not colon:
            continue
        if value.startswith(" "):
            value = value[1:]
        if field == "data":
            data.append(value)
        elif field == "event":
            name = value
        elif field == "error":
            name = "error"
            data.append(value)
    if data:
        yield SSE(name or "message", "\n".join(data))
