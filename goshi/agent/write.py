"""Changing a file: a proposal the user approves, then an atomic write.

new content -> refused unless the model read the current file and it has not changed since
-> unified diff -> the approver (the terminal, or -y) -> temp file beside the target, rename
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import os
import re
import tempfile
from pathlib import Path

from goshi.agent.calls import Approver, ToolResult
from goshi.agent.workspace import Refused, Workspace, read_text


def _lines(text: str) -> list[str]:
    """Lines split at newlines only: str.splitlines also splits at CR, FF, U+2028 ..., which
    would hide those characters in the diff the user approves."""
    return re.findall(r"[^\n]*\n|[^\n]+$", text)


def _ended(line: str) -> str:
    return line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"


def propose_write(
    ws: Workspace, seen: dict[Path, str], approve: Approver, path: str, content: str
) -> ToolResult:
    """The whole new content of a file, as a diff the user approves; written atomically."""
    if not isinstance(content, str):
        raise TypeError("content must be a string")
    file = ws.resolve(path, for_write=True)
    rel = ws.relative(file)
    exists = file.exists()
    if exists and file.is_dir():
        raise Refused(f"{path!r} is a directory")
    old = read_text(file) if exists else ""
    if exists:
        digest = hashlib.sha256(old.encode()).hexdigest()
        if file not in seen:
            raise Refused(f"{rel} exists and you have not read it; read_file it first")
        if seen[file] != digest:
            raise Refused(f"{rel} changed since you read it; read_file it again")
    diff = "".join(
        _ended(line)
        for line in difflib.unified_diff(
            _lines(old),
            _lines(content),
            fromfile=f"a/{rel}" if exists else "/dev/null",
            tofile=f"b/{rel}",
        )
    )
    if not diff:
        return ToolResult(True, f"{rel} already has that content; nothing written", "unchanged")
    if not approve(rel, diff, not exists):
        return ToolResult(
            False,
            f"the user did not approve the change to {rel}; it was not written",
            "not approved",
        )
    _atomic_write(file, content)
    seen[file] = hashlib.sha256(content.encode()).hexdigest()
    added = sum(1 for ln in diff.splitlines() if ln.startswith("+") and not ln.startswith("+++"))
    removed = sum(1 for ln in diff.splitlines() if ln.startswith("-") and not ln.startswith("---"))
    return ToolResult(True, f"wrote {rel} (+{added} -{removed} lines)", f"ok +{added} -{removed}")


def _atomic_write(file: Path, content: str) -> None:
    """A temp file beside the target, then a rename: the file is old or new, never half."""
    file.parent.mkdir(parents=True, exist_ok=True)
    mode = file.stat().st_mode & 0o7777 if file.exists() else None
    fd, tmp = tempfile.mkstemp(dir=file.parent, prefix=f".{file.name}.", suffix=".goshi")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            out.write(content)
        if mode is not None:
            os.chmod(tmp, mode)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, file)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
