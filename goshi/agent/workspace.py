"""The workspace jail: the only files the tools may see or change.

A path from the model is resolved against the workspace root with every symlink followed, and
only then checked. Refused, each with a reason the model can read: anything that resolves outside
the root (`..`, absolute paths, links pointing out), symlink loops, device files, FIFOs and
sockets, goshi's own config, data and state directories, and for writes `.git/` internals, any file
named goshi.yaml (both in any case: `.GIT/hooks` is the repository's hooks on a case-insensitive
disk) and the config files this run loaded (a model must not widen its own jail for the
next run).

A file to write whose name holds a control character (a line break, ESC) is refused: its name
is a line of the diff the user approves, and a line break in it forged hunks there.

A regular file with more than one hard link is refused too: its other names may be outside the
workspace (a link to ~/.ssh/id_rsa made inside it), and no system call lists them.

A workspace that is `/`, the user's home directory or a folder holding it is refused at start
(goshi/agent/scope.py): the tools are turned off for the run.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from pathlib import Path

from goshi import paths

CONFIG_NAME = "goshi.yaml"
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")  # in a name to write: it would forge diff lines


class Refused(Exception):
    """A path the tools may not touch; the message is for the model."""


class Workspace:
    def __init__(self, root: str | Path, configs: list[Path] | None = None) -> None:
        self.root = Path(root).expanduser().resolve()
        self.private = [
            p.resolve() for p in (paths.config_dir(), paths.data_dir(), paths.state_dir())
        ]
        self.configs = {p.resolve() for p in configs or ()}

    def resolve(self, raw: str, *, for_write: bool = False) -> Path:
        if not isinstance(raw, str) or not raw.strip():
            raise Refused("a path is required")
        if "\x00" in raw:
            raise Refused("the path contains a NUL byte")
        if for_write and CONTROL.search(raw):
            raise Refused(
                f"{raw!r} has a control character (a line break, ESC...) in its name; a name is"
                " a line of the diff the user approves, so goshi does not write such a file"
            )
        given = Path(raw).expanduser()
        candidate = given if given.is_absolute() else self.root / given
        try:
            real = candidate.resolve(strict=False)
        except (RuntimeError, OSError):  # Python 3.11 says RuntimeError for a loop, later ELOOP
            raise Refused(f"{raw!r} is a symlink loop") from None
        if real != self.root and self.root not in real.parents:
            raise Refused(f"{raw!r} is outside the workspace ({self.root})")
        for private in self.private:
            if real == private or private in real.parents:
                raise Refused(f"{raw!r} is inside goshi's own files; those are off limits")
        if for_write and any(_folded(part) == ".git" for part in real.relative_to(self.root).parts):
            raise Refused(f"{raw!r} is inside .git/; change the repository with git, not here")
        if for_write and (_folded(real.name) == CONFIG_NAME or real in self.configs):
            raise Refused(f"{raw!r} is goshi's configuration; only the user changes it")
        try:
            st = os.stat(real)
        except FileNotFoundError:
            return real
        except OSError as exc:
            if exc.errno == errno.ELOOP:  # Python 3.13's resolve leaves a loop for stat to find
                raise Refused(f"{raw!r} is a symlink loop") from None
            raise Refused(f"{raw!r}: {exc.strerror}") from None
        mode = st.st_mode
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
            raise Refused(f"{raw!r} is a device, FIFO or socket, not a file")
        if not single_link(st):
            raise Refused(
                f"{raw!r} has {st.st_nlink} hard links; goshi cannot tell where the other names"
                " are, so it does not touch the file"
            )
        return real

    def is_private(self, path: Path) -> bool:
        try:
            real = path.resolve()
        except (RuntimeError, OSError):  # a symlink loop: nothing to show
            return True
        return any(real == p or p in real.parents for p in self.private)

    def relative(self, path: Path) -> str:
        rel = path.relative_to(self.root).as_posix()
        return rel or "."


def _folded(name: str) -> str:
    """A name as a case-insensitive disk (macOS, Windows) takes it: `.GIT` is `.git` there,
    Windows drops trailing dots and spaces (`.git.`), and HFS+ ignores format characters
    (`.g\u200cit`: git's own CVE-2014-9390)."""
    if not name.isascii():
        import unicodedata

        name = "".join(c for c in name if unicodedata.category(c) != "Cf")
    return name.lower().rstrip(". ")


def single_link(st: os.stat_result) -> bool:
    """Not a regular file with other names (hard links) that may lie outside the workspace."""
    return not stat.S_ISREG(st.st_mode) or st.st_nlink <= 1


def read_text(path: Path) -> str:
    """A workspace file as text; a NUL in the first 8 KB means binary, refused."""
    data = path.read_bytes()
    if b"\x00" in data[:8192]:
        raise Refused(f"{path.name} is a binary file; only text files can be read")
    return data.decode("utf-8", errors="replace")


def text_lines(text: str) -> list[str]:
    """Lines split at newlines only, each with its newline: str.splitlines also splits at CR, FF,
    U+2028 ..., which would hide those characters in a diff and number lines unlike an editor."""
    return re.findall(r"[^\n]*\n|[^\n]+$", text)
