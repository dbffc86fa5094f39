"""Putting a file back as it was before goshi changed it (`goshi undo`, `/undo`, `goshi redo`).

    put_back(path, now, then): the file must hold exactly `now` (what goshi wrote; None: it must
    not exist) -> written `then` atomically, mode kept (goshi/agent/write.py), or removed when
    `then` is None. Anything else there (the user's edits, another tool's, a link, a folder, bytes
    that are not UTF-8) is left alone: False; so is a path with a folder on the way that is now
    a symlink (a `git checkout` of a branch where it is a link): it would lead out of the
    workspace.

The comparison is of the exact bytes: goshi writes UTF-8 without translating line endings.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from goshi.agent import place
from goshi.agent.write import MAX_WRITE_BYTES, same_place


def holds(path: Path, content: str | None) -> bool:
    """Does the file hold exactly `content` (None: is it absent)?"""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return content is None
    if content is None or not stat.S_ISREG(info.st_mode) or info.st_size > MAX_WRITE_BYTES:
        return False
    want = content.encode("utf-8")
    if info.st_size != len(want):
        return False
    with open(path, "rb") as f:
        return f.read(len(want) + 1) == want


def put_back(path: Path, now: str | None, then: str | None) -> bool:
    """`then` in place of `now`; False (nothing touched) when the file does not hold `now`."""
    if not same_place(path) or not holds(path, now):  # a folder on the way is now a link
        return False
    try:
        if then is None:
            place.remove(path)
        else:
            place.write(path, then)
    except place.Moved:  # and became one after that check
        return False
    return True
