"""Changing a file: a proposal the user approves, then an atomic write. write_file and edit_file
(goshi/agent/edit.py) both end in `apply_change`.

    write_file: new content -> refused unless the model read the current file and it has not
    changed since (goshi/agent/reads.py) -> apply_change

    apply_change: the file's line endings kept -> unified diff -> the approver (the terminal, or
    -y; the wait is not goshi's time; a diff too big to show whole is refused) -> the file
    checked again: still at its real path (no folder on the way swapped for a symlink) and the
    size, mtime and bytes it had when the question was asked, else refused ("changed while
    you were deciding") -> temp file beside the target, rename (mode kept), both in the folder
    the check walked to (goshi/agent/place.py: no link followed in between) -> the result
    carries the change (Applied: before and after, when neither passes MAX_KEPT_BYTES; a larger
    one is said to the approver first) for the store, so that `goshi undo` can put it back
    (goshi/store/changes.py)

Only UTF-8 text is rewritten: a file that is not valid UTF-8 is refused (its bytes would be lost
to U+FFFD), and so is content that cannot be written as UTF-8 (a lone surrogate). So the diff is
exact: every byte that changes is in it.
"""

from __future__ import annotations

import difflib
import hashlib
import logging
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

from goshi.agent import place
from goshi.agent.calls import Applied, Approver, NotShown, ToolResult, not_shown
from goshi.agent.reads import Reads
from goshi.agent.workspace import Refused, Workspace, text_lines

log = logging.getLogger("goshi")

CONTEXT = 3
MAX_WRITE_BYTES = 10_000_000  # a file write_file or edit_file may replace (the diff holds it whole)
MAX_KEPT_BYTES = 1_000_000  # a change whose before or after is larger is not kept: no undo


@dataclass
class Change:
    file: Path
    rel: str
    old: str  # "" for a new file
    new: str
    exists: bool
    spans: list[tuple[int, int, int]] | None = None  # an edit's (first, last, new last) lines


def _ended(line: str) -> str:
    return line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"


def propose_write(
    ws: Workspace, reads: Reads, approve: Approver, path: str, content: str
) -> ToolResult:
    """The whole new content of a file, as a diff the user approves; written atomically."""
    if not isinstance(content, str):
        raise TypeError("content must be a string")
    try:
        content.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise Refused(
            f"the content has a lone surrogate ({content[exc.start]!r} at character {exc.start});"
            " send valid Unicode text"
        ) from None
    file = ws.resolve(path, for_write=True)
    rel = ws.relative(file)
    exists = file.exists()
    if exists and file.is_dir():
        raise Refused(f"{path!r} is a directory")
    old = editable_text(file, rel) if exists else ""
    if exists:
        reads.check(file, rel, old)
    return apply_change(
        Change(file, rel, old, keep_line_endings(old, content), exists), reads, approve
    )


def apply_change(change: Change, reads: Reads, approve: Approver) -> ToolResult:
    """Show the diff, ask, write atomically; the model's knowledge of the file follows."""
    rel = change.rel
    diff = unified_diff(change.old, change.new, rel, change.exists)
    if not diff:
        return ToolResult(True, f"{rel} already has that content; nothing written", "unchanged")
    before = state_of(change.file)
    kept = keepable(change)
    asked = time.monotonic()
    try:
        tool = "write_file" if change.spans is None else "edit_file"
        extra = {} if kept else {"undoable": False}  # said first; other approvers need not know
        approved = approve(rel, diff, not change.exists, tool, **extra)
    except NotShown as exc:
        return not_shown(exc, time.monotonic() - asked)
    waited = time.monotonic() - asked
    if not approved:
        return ToolResult(
            False,
            f"the user did not approve the change to {rel}; it was not written",
            "not approved",
            waited_s=waited,
        )
    if not same_place(change.file) or before != state_of(change.file) or not _is(before, change):
        log.warning("%s changed while you were deciding: not written (the model is told)", rel)
        return ToolResult(
            False,
            f"error: {rel} changed while the user was deciding (someone saved it); the change "
            "was not written. read_file it again and propose the change anew",
            "changed while you were deciding",
            waited_s=waited,
        )
    try:
        place.write(change.file, change.new)
    except place.Moved:
        return ToolResult(
            False,
            f"error: a folder on the way to {rel} became a link while the user was deciding; "
            "the change was not written",
            "changed while you were deciding",
            waited_s=waited,
        )
    reads.wrote(change.file, change.new, change.spans)
    added = sum(1 for ln in diff.splitlines() if ln.startswith("+") and not ln.startswith("+++"))
    removed = sum(1 for ln in diff.splitlines() if ln.startswith("-") and not ln.startswith("---"))
    verb = "wrote" if change.spans is None else "edited"
    return ToolResult(
        True,
        f"{verb} {rel} (+{added} -{removed} lines)",
        f"ok +{added} -{removed}",
        waited,
        applied=Applied(
            str(change.file),
            rel,
            (change.old if kept else "") if change.exists else None,
            change.new if kept else None,
            kept,
        ),
    )


def same_place(file: Path) -> bool:
    """Is the (resolved) path still where it was checked: no folder on it now a symlink
    (swapped in while the user decided, or before an undo), which would lead the write out of
    the workspace?"""
    return Path(os.path.realpath(file.parent)) == file.parent


def state_of(file: Path) -> tuple[int, int, str] | None:
    """What a file is: size, mtime and the digest of its bytes; None when it does not exist."""
    try:
        info = os.stat(file)
        data = file.read_bytes()
    except FileNotFoundError:
        return None
    return info.st_size, info.st_mtime_ns, hashlib.sha256(data).hexdigest()


def _is(state: tuple[int, int, str] | None, change: Change) -> bool:
    """Is the file (in this state) the one the proposal was made from?"""
    if state is None:
        return not change.exists
    return change.exists and state[2] == hashlib.sha256(change.old.encode()).hexdigest()


def keepable(change: Change) -> bool:
    """Can the store keep the file before and after, so that `goshi undo` puts it back?"""
    return max(len(change.old.encode()), len(change.new.encode())) <= MAX_KEPT_BYTES


def crlf(text: str) -> bool:
    """Does this file end its lines with CRLF (every line end, at least one)?"""
    return "\r\n" in text and text.count("\n") == text.count("\r\n")


def keep_line_endings(old: str, new: str) -> str:
    """A model writes LF; a CRLF file stays CRLF."""
    if crlf(old) and "\r\n" not in new:
        return new.replace("\n", "\r\n")
    return new


_HUNK = re.compile(r"^@@ -(\d+)(,\d+)? \+(\d+)(,\d+)? @@")


def unified_diff(old: str, new: str, rel: str, exists: bool) -> str:
    """The unified diff, computed over the changed middle only: lines both texts share at the
    start and the end are skipped (difflib is slow on long files, an edit is short), and the
    hunk headers moved back to the file's line numbers."""
    a, b = text_lines(old), text_lines(new)
    shorter = min(len(a), len(b))
    start = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), shorter)
    ends = zip(reversed(a[start:]), reversed(b[start:]), strict=False)
    end = next((i for i, (x, y) in enumerate(ends) if x != y), shorter - start)
    skip = max(0, start - CONTEXT)
    keep_end = max(0, end - CONTEXT)
    lines = difflib.unified_diff(
        a[skip : len(a) - keep_end],
        b[skip : len(b) - keep_end],
        fromfile=f"a/{rel}" if exists else "/dev/null",
        tofile=f"b/{rel}",
        n=CONTEXT,
    )
    out = []
    for line in lines:
        if skip and line.startswith("@@"):
            line = _HUNK.sub(
                lambda m: f"@@ -{int(m[1]) + skip}{m[2] or ''} +{int(m[3]) + skip}{m[4] or ''} @@",
                line,
            )
        out.append(_ended(line))
    return "".join(out)


def editable_text(file: Path, rel: str) -> str:
    """The current file as text, refused unless it is UTF-8 text that a rewrite keeps exactly."""
    if file.stat().st_size > MAX_WRITE_BYTES:
        raise Refused(
            f"{rel} is over {MAX_WRITE_BYTES // 1_000_000} MB; write_file replaces smaller files"
        )
    data = file.read_bytes()
    if b"\x00" in data[:8192]:
        raise Refused(f"{rel} is a binary file; only text files can be written")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Refused(
            f"{rel} is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start});"
            " goshi does not rewrite it, so none of its bytes are lost"
        ) from None
