"""edit_file: one exact replacement in a file the model has read, approved like any write.

    {path, old_string, new_string, replace_all?} -> the file, which must exist (creating is
    write_file's job) -> unchanged since the model read it (goshi/agent/reads.py) -> old_string
    found: exactly once, or every time with replace_all (a CRLF file matches the model's LF
    text as CRLF) -> the lines it spans were shown to the model -> apply_change (diff, approval,
    atomic write; goshi/agent/write.py)

No match or several is an error result that says how many and shows the closest lines with
their numbers, so the model can correct itself.
"""

from __future__ import annotations

import difflib

from goshi.agent.calls import Approver, ToolResult
from goshi.agent.reads import Reads
from goshi.agent.workspace import Refused, Workspace, text_lines
from goshi.agent.write import Change, apply_change, crlf, editable_text

SHOWN_MATCHES = 5
CLOSEST = 3


def propose_edit(
    ws: Workspace,
    reads: Reads,
    approve: Approver,
    path: str,
    old_string: str,
    new_string: str,
    replace_all: bool = False,
) -> ToolResult:
    if not isinstance(old_string, str) or not isinstance(new_string, str):
        raise TypeError("old_string and new_string must be strings")
    file = ws.resolve(path, for_write=True)
    rel = ws.relative(file)
    if not file.exists():
        raise Refused(f"{rel} does not exist; create it with write_file")
    if file.is_dir():
        raise Refused(f"{path!r} is a directory")
    if not old_string:
        return _error("old_string is empty; give the exact text to replace", "empty old_string")
    if old_string == new_string:
        return _error("old_string and new_string are the same; nothing to change", "no change")
    text = editable_text(file, rel)
    reads.check(file, rel, text)
    if crlf(text):  # the model writes LF: a CRLF file stays CRLF
        new_string = _as_crlf(new_string)
        if old_string not in text:
            old_string = _as_crlf(old_string)
    starts = _find_all(text, old_string)
    if not starts:
        return _error(_no_match(text, old_string, rel), "no match")
    if len(starts) > 1 and not replace_all:
        return _error(_many(text, starts, old_string, rel), f"{len(starts)} matches")
    spans = [_lines_of(text, start, old_string) for start in starts]
    unread = [(a, b) for a, b in spans if not reads.covers(file, a, b)]
    if unread:
        a, b = unread[0]
        raise Refused(
            f"lines {a}-{b} of {rel} were not shown to you; read_file it with "
            f"start_line={a} end_line={b} first"
        )
    new_text = text.replace(old_string, new_string)  # starts never overlap: the same matches
    grow = new_string.count("\n") - old_string.count("\n")
    moved = [(a, b, b + grow) for a, b in spans]
    return apply_change(Change(file, rel, text, new_text, True, moved), reads, approve)


def _error(content: str, summary: str) -> ToolResult:
    return ToolResult(False, f"error: {content}", summary)


def _as_crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def _find_all(text: str, needle: str) -> list[int]:
    starts, at = [], text.find(needle)
    while at != -1:
        starts.append(at)
        at = text.find(needle, at + len(needle))
    return starts


def _lines_of(text: str, start: int, needle: str) -> tuple[int, int]:
    """The 1-based lines a match at `start` touches."""
    first = text.count("\n", 0, start) + 1
    body = needle[:-1] if needle.endswith("\n") else needle
    return first, first + body.count("\n")


def _numbered(lines: list[str], first: int, last: int) -> str:
    """Lines first..last (1-based) as `  12| text`."""
    width = len(str(last))
    return "\n".join(
        f"{n:>{width}}| {lines[n - 1].rstrip(chr(13) + chr(10))}"
        for n in range(max(1, first), min(len(lines), last) + 1)
    )


def _many(text: str, starts: list[int], needle: str, rel: str) -> str:
    lines = text_lines(text)
    shown = [_lines_of(text, s, needle)[0] for s in starts[:SHOWN_MATCHES]]
    more = f" (and {len(starts) - SHOWN_MATCHES} more)" if len(starts) > SHOWN_MATCHES else ""
    where = "\n".join(_numbered(lines, n, n) for n in shown)
    return (
        f"old_string occurs {len(starts)} times in {rel}, at lines "
        f"{', '.join(map(str, shown))}{more}; add surrounding lines to old_string so it "
        f"occurs once, or set replace_all to change every one:\n{where}"
    )


def _no_match(text: str, needle: str, rel: str) -> str:
    """Say what is closest: the same lines with other whitespace, else the lines most like
    old_string's most telling line."""
    lines = text_lines(text)
    wanted = [ln.strip() for ln in needle.removesuffix("\n").split("\n")]
    size = max(1, len(wanted))
    stripped = [ln.strip() for ln in lines]
    for i in range(len(lines) - size + 1):
        if stripped[i : i + size] == wanted:
            return (
                f"old_string does not occur in {rel}; lines {i + 1}-{i + size} match it except "
                f"for whitespace (indentation, tabs or trailing spaces). Copy them exactly:\n"
                + _numbered(lines, i + 1, i + size)
            )
    telling = max(range(len(wanted)), key=lambda k: len(wanted[k]), default=0)
    key = wanted[telling] if wanted else ""
    close = difflib.get_close_matches(key, stripped, n=CLOSEST, cutoff=0.5) if key else []
    hits: list[int] = []
    for candidate in close:
        for i, line in enumerate(stripped):
            if line == candidate and i not in hits:
                hits.append(i)
                break
    if not hits:
        return f"old_string does not occur in {rel}, nor anything close to it; read_file it again"
    blocks = []
    for i in sorted(hits):
        first = i + 1 - telling
        blocks.append(_numbered(lines, first, first + size - 1))
    return (
        f"old_string does not occur in {rel}; the closest lines are:\n"
        + "\n...\n".join(blocks)
        + "\nCopy old_string exactly from the file (read_file shows it)."
    )
