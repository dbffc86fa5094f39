"""The workspace jail: the only files the tools may see or change.

A path from the model is resolved against the workspace root with every symlink followed, and
only then checked. Refused, each with a reason the model can read: anything that resolves outside
the root (`..`, absolute paths, links pointing out), device files, FIFOs and sockets, goshi's own
config, data and state directories, and for writes `.git/` internals, any file named goshi.yaml
and the config files this run loaded (a model must not widen its own jail for the next run).

A workspace that is `/` or the user's home directory is refused at start (goshi/session.py) unless a
config file goshi trusts names it in tools.workspace: the tools are turned off for the run.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from goshi import paths

CONFIG_NAME = "goshi.yaml"


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
        given = Path(raw).expanduser()
        candidate = given if given.is_absolute() else self.root / given
        real = candidate.resolve(strict=False)
        if real != self.root and self.root not in real.parents:
            raise Refused(f"{raw!r} is outside the workspace ({self.root})")
        for private in self.private:
            if real == private or private in real.parents:
                raise Refused(f"{raw!r} is inside goshi's own files; those are off limits")
        if for_write and ".git" in real.relative_to(self.root).parts:
            raise Refused(f"{raw!r} is inside .git/; change the repository with git, not here")
        if for_write and (real.name.lower() == CONFIG_NAME or real in self.configs):
            raise Refused(f"{raw!r} is goshi's configuration; only the user changes it")
        try:
            mode = os.stat(real).st_mode
        except FileNotFoundError:
            return real
        except OSError as exc:
            raise Refused(f"{raw!r}: {exc.strerror}") from None
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
            raise Refused(f"{raw!r} is a device, FIFO or socket, not a file")
        return real

    def is_private(self, path: Path) -> bool:
        real = path.resolve()
        return any(real == p or p in real.parents for p in self.private)

    def relative(self, path: Path) -> str:
        rel = path.relative_to(self.root).as_posix()
        return rel or "."


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
