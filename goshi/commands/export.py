"""`goshi history export` and the chat's /save: a conversation as Markdown or JSON, written
message by message as the store yields them, so memory stays flat however long it is.

    store.messages_of(cid) -> one piece of text per message -> stdout
        a pipe or a file gets the exact text; a terminal gets it through the sanitiser
        JSON: one document (indent 2), each message's object written as it comes; C1 controls,
        DEL, format and other invisible characters (bidi, zero-width, tags, variation selectors,
        Hangul fillers...) written as \\u escapes, so the parsed strings are exactly the stored
        ones and no reader's terminal is driven by them
"""

from __future__ import annotations

import json
import math
import re
import sys
import time
from collections.abc import Iterable, Iterator
from json.encoder import encode_basestring
from typing import Any

from goshi.cost.meter import format_usd, usd
from goshi.errors import UsageError
from goshi.sanitize import for_terminal
from goshi.store import Compaction, Store, StoredMessage
from goshi.words import counted

# Printable, yet invisible: default-ignorable code points that str.isprintable() lets through
# (CGJ, Hangul fillers, Khmer inherent vowels, Mongolian selectors, variation selectors).
_INVISIBLE = (
    "\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180d\u180f\u3164\ufe00-\ufe0f\uffa0"
    "\U000e0100-\U000e01ef"
)
_CANDIDATES = "[^\n\x20-\x7e]"  # in goshi's JSON text: all but its newlines and ASCII


def when(at: float) -> str:
    """A stored time as the user's clock says it."""
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(at))


def export(cid: int, fmt: str) -> int:
    if fmt not in ("md", "json"):
        raise UsageError(f"--format: expected md or json, got {fmt!r}")
    store = Store()
    pieces = markdown_pieces(store, cid) if fmt == "md" else json_pieces(store, cid)
    write(pieces, sys.stdout, terminal=sys.stdout.isatty())
    return 0


def write(pieces: Iterable[str], out: Any, *, terminal: bool) -> None:
    """Each piece as it comes; sanitised for a terminal. A piece ends at a line end, so a CRLF
    is never split between two."""
    for piece in pieces:
        out.write(for_terminal(piece) if terminal else piece)
    out.flush()


def markdown_pieces(store: Store, cid: int) -> Iterator[str]:
    conv = store.conversation(cid)
    yield f"# goshi conversation {cid}\n\n*{when(conv.created_at)} · {conv.model}*\n"
    if conv.system:
        yield f"\n> **system:** {conv.system}\n"
    for m in with_compactions(store, cid):
        if isinstance(m, Compaction):
            yield _compaction_note(m)
        elif m.status not in ("failed", "superseded"):
            title = {"user": "You", "assistant": "goshi", "tool": "Tool result"}.get(m.role, m.role)
            note = " *(interrupted)*" if m.status == "interrupted" else ""
            yield f"\n## {title}{note}\n\n{m.content}\n"


def with_compactions(store: Store, cid: int) -> Iterator[StoredMessage | Compaction]:
    """The messages, one at a time, each compaction where it happened (after the message it
    reaches up to)."""
    marks = store.compactions(cid)
    above = 0  # read question by question, ids need not rise: a mark follows its message
    for m in store.messages_of(cid):
        while marks and marks[0].upto_message_id == above:
            yield marks.pop(0)
        above = m.id
        yield m
    yield from marks


def _compaction_note(c: Compaction) -> str:
    """Markdown: where the model's view was compacted, and the summary it was sent instead."""
    if not c.summary:
        gone = counted(c.turns, "turn")
        return f"\n> *Context compacted: the {gone} above were left out for the model.*\n"
    quoted = "\n".join(f"> {line}" if line else ">" for line in c.summary.splitlines())
    return (
        f"\n> *Context compacted: the {counted(c.turns, 'turn')} above were folded into this"
        f" summary for the model ({c.tokens} tokens, {format_usd(c.cost_pico)}):*\n>\n{quoted}\n"
    )


def json_pieces(store: Store, cid: int) -> Iterator[str]:
    """One JSON document, {"id", ..., "compactions": [...], "messages": [...]}, laid out as
    json.dumps(indent=2) lays it out, the messages one piece each."""
    conv = store.conversation(cid)
    head = {
        "id": cid,
        "created_at": conv.created_at,
        "model": conv.model,
        "system": conv.system,
        "cost_usd": usd(store.spent(cid=cid)),
        "compactions": [_compaction(c) for c in store.compactions(cid)],
    }
    yield json_text(_layout(head, "")[: -len("\n}")]) + ',\n  "messages": ['
    separator = "\n    "
    for m in store.messages_of(cid):
        yield separator + json_text(_layout(_message(m), "    "))
        separator = ",\n    "
    yield "]\n}\n" if separator == "\n    " else "\n  ]\n}\n"


_CONSTANTS = {None: "null", True: "true", False: "false"}


def _layout(value: Any, indent: str) -> str:
    """json.dumps(value, indent=2, ensure_ascii=False) nested at `indent`, byte for byte:
    strings through json's C encoder, numbers and constants as json writes them. (Given an
    indent, json encodes everything in Python: a 5,000-turn export took twice as long.)"""
    if isinstance(value, str):
        return encode_basestring(value)
    if value is None or isinstance(value, bool):
        return _CONSTANTS[value]
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return float.__repr__(value) if math.isfinite(value) else json.dumps(value)
    inner = indent + "  "
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = (f"{inner}{encode_basestring(k)}: {_layout(v, inner)}" for k, v in value.items())
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    if not value:
        return "[]"
    return "[\n" + ",\n".join(inner + _layout(v, inner) for v in value) + "\n" + indent + "]"


def _compaction(c: Compaction) -> dict[str, Any]:
    return {
        "at": c.at,
        "after_message_id": c.upto_message_id,
        "strategy": c.strategy,
        "turns": c.turns,
        "summary": c.summary,
        "summary_tokens": c.tokens,
        "cost_usd": None if c.cost_pico is None else usd(c.cost_pico),
    }


def _message(m: StoredMessage) -> dict[str, Any]:
    return {
        "id": m.id,
        "role": m.role,
        "content": m.content,
        "status": m.status,
        "finish_reason": m.finish_reason,
        "refusal": m.refusal,
        "reasoning": m.reasoning or None,
        "created_at": m.created_at,
        "backend": m.backend,
        "model": m.model,
        "usage": {"prompt_tokens": m.prompt_tokens, "completion_tokens": m.completion_tokens},
        "tool_calls": [{"id": i, "name": n, "arguments": a} for i, n, a in m.tool_calls],
    }


def json_text(text: str) -> str:
    """JSON text from json.dumps(ensure_ascii=False) with every character that is not
    printable (C1, DEL, format characters, separators, surrogates, unassigned...) or is an
    invisible filler written as a \\u escape. Outside strings goshi's JSON is ASCII, so only
    string contents change, and they parse back to the same strings."""
    if text.isascii() and "\x7f" not in text:
        return text  # the common case: one scan in C
    if text.replace("\n", "").isprintable() and not re.search(f"[{_INVISIBLE}]", text):
        return text  # letters of any script: another scan in C
    return re.sub(_CANDIDATES, _escape, text)


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char.isprintable() and not re.match(f"[{_INVISIBLE}]", char):
        return char
    code = ord(char)
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000  # outside the BMP: a surrogate pair, as JSON spells it
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
