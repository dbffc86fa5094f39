"""Conversation search shown: `goshi history search TEXT [--json] [-n N]`, `/search` in chat.

    TEXT -> Store.search (goshi/store/search.py: FTS5, bm25, the best message of each
    conversation) -> lines (sanitised, matches marked) or JSON

A snippet is the user's and the model's text: it reaches a terminal through the sanitiser, and
the match marks are goshi's own (bold in a terminal, `**` elsewhere), added after sanitising.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time

from goshi.errors import UsageError
from goshi.record import asdict
from goshi.sanitize import one_line
from goshi.store.search import END, START, Hit


def marked(snippet: str, before: str, after: str) -> str:
    """The snippet on one line, sanitised, with each match between `before` and `after`."""
    parts = re.sub(r"\s+", " ", snippet).strip().replace(END, START).split(START)
    return "".join(
        f"{before}{one_line(part)}{after}" if i % 2 else one_line(part)
        for i, part in enumerate(parts)
    )


def _styled() -> bool:
    plain = os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb"
    return sys.stdout.isatty() and not plain


def lines(hits: list[Hit], styled: bool) -> list[str]:
    before, after = ("\x1b[1m", "\x1b[22m") if styled else ("**", "**")
    out = []
    for h in hits:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(h.created_at))
        who = "you" if h.role == "user" else "goshi"
        out.append(f"{h.conversation_id:>5}  {when}  {one_line(h.first_line[:70])}")
        out.append(f"       {who}: {marked(h.snippet, before, after)}")
    return out


def as_json(hits: list[Hit]) -> str:
    rows = []
    for h in hits:
        row = asdict(h)
        row["snippet"] = marked(h.snippet, "**", "**")
        row["first_line"] = h.first_line[:200]
        rows.append(row)
    return json.dumps(rows, indent=2, ensure_ascii=False) + "\n"


CONTINUE_HINT = "continue one with: goshi chat --cid ID (or goshi ask --cid ID)"


def command(text: str, limit: int, json_out: bool) -> int:
    """`goshi history search TEXT [--json] [-n N]`."""
    from goshi.store import Store

    if limit < 1:
        raise UsageError("-n: expected a number of results >= 1")
    hits = Store().search(text, limit)
    if json_out:
        sys.stdout.write(as_json(hits))
        return 0
    if not hits:
        sys.stdout.write(f"no conversation mentions {one_line(text)!r}\n")
        return 0
    sys.stdout.write("\n".join(lines(hits, _styled())) + "\n")
    if sys.stdout.isatty():
        sys.stdout.write(CONTINUE_HINT + "\n")
    return 0
