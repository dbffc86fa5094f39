"""The project's own instructions: the AGENTS.md files goshi sends before a conversation's first
request, after the user's own system prompt, each headed by its path.

    1. $XDG_CONFIG_HOME/goshi/AGENTS.md         the user's own rules, for every project
    2. <root>/AGENTS.md ... <cwd>/AGENTS.md     the repository root (the nearest folder at or
                                                above the working folder holding .git; without
                                                one, or when it is $HOME or holds it, the working
                                                folder alone), then each folder down to the
                                                working folder
Never a folder above the root. context.instructions_max_kib bounds them all together: the file
that passes it is cut, the ones after it are left out, each said in one stderr line.

A project's file is untrusted like any workspace file: it is read only when it is a regular file
of its own (a symlink only to a file inside the repository, never a FIFO or device, one name
only), UTF-8 text without NUL; anything else is left out with one line. Its text reaches the
model and nothing else: no setting, approval or allowlist reads it. The lines naming a file go
through the log's sanitiser (goshi/log.py), /context through the chat's (goshi/sanitize.py).
"""

from __future__ import annotations

import codecs
import logging
import os
import stat
from pathlib import Path

from goshi import paths
from goshi.agent.scope import too_wide
from goshi.config import Settings
from goshi.record import record

log = logging.getLogger("goshi")

NAME = "AGENTS.md"
CUT = "\n[goshi: the rest of this file was cut: context.instructions_max_kib]"


@record(frozen=True, slots=True)
class Instruction:
    label: str  # the path the model and /context see: relative to the root, or ~/...
    text: str
    cut: bool = False

    def section(self) -> str:
        return f"# {self.label}\n\n{self.text.strip()}{CUT if self.cut else ''}"


def read(settings: Settings, cwd: Path | None = None) -> list[Instruction]:
    """The instructions to send, in order; none when context.project_instructions is off."""
    if not settings.context.project_instructions:
        return []
    try:
        here = (cwd or Path.cwd()).resolve()
    except OSError:  # the working folder was removed
        return []
    root = repository_root(here)
    found: list[tuple[Path, str, Path | None]] = [(paths.config_dir() / NAME, _home(), None)]
    for folder in [root, *reversed(_between(root, here))]:
        rel = (folder / NAME).relative_to(root).as_posix()
        found.append((folder / NAME, rel, root))
    left = settings.context.instructions_max_kib * 1024
    out: list[Instruction] = []
    for path, label, jail in found:
        if not os.path.lexists(path):
            continue
        if left <= 0:
            log.warning("%s left out: context.instructions_max_kib is used up", label)
            continue
        data = _read(path, label, jail, left + 1)
        if data is None:
            continue
        cut = len(data) > left
        text = _decode(data[:left] if cut else data, final=not cut)
        if text is None:
            log.warning("%s left out: it is not UTF-8 text", label)
            continue
        if cut:
            log.warning("%s cut to %d KiB (context.instructions_max_kib)", label, left // 1024 or 1)
        left -= len(data[:left])
        out.append(Instruction(label, text, cut))
    return out


def as_system(instructions: list[Instruction]) -> str:
    """What the model reads after the system prompt."""
    sections = "\n\n".join(i.section() for i in instructions)
    return (
        "Instructions for working here, from AGENTS.md files (the user's own first, then the"
        " repository's from its root down; a deeper folder's apply within it):\n\n" + sections
    )


def repository_root(here: Path) -> Path:
    """The nearest folder at or above `here` holding `.git` (a folder, or a worktree's file);
    `here` itself when there is none, or when that folder is `/`, the home directory or holds
    it (dotfiles in git: every folder under $HOME would be one repository, and ~/.ssh in it)."""
    for folder in (here, *here.parents):
        if os.path.lexists(folder / ".git"):
            return here if too_wide(folder) else folder
    return here


def _between(root: Path, here: Path) -> list[Path]:
    """The folders below the root down to `here`, deepest first."""
    out = []
    folder = here
    while folder != root and root in folder.parents:
        out.append(folder)
        folder = folder.parent
    return out


def _home() -> str:
    path = paths.config_dir() / NAME
    try:
        return "~/" + path.relative_to(Path.home()).as_posix()
    except ValueError:
        return str(path)


def _read(path: Path, label: str, jail: Path | None, limit: int) -> bytes | None:
    """At most `limit` bytes of a regular file; None (said once) for anything else. A project's
    file (`jail` set) may be a symlink only to a file inside the repository, and have one name."""
    if jail is not None and path.is_symlink():
        real = path.resolve()
        if jail not in real.parents:
            log.warning("%s left out: it links outside the repository", label)
            return None
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        log.warning("%s left out: %s", label, exc.strerror or exc)
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            log.warning("%s left out: it is not a regular file", label)
            return None
        if jail is not None and st.st_nlink > 1:
            log.warning("%s left out: it has other names (hard links)", label)
            return None
        chunks, size = [], 0
        while size < limit and (chunk := os.read(fd, min(65536, limit - size))):
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)
    except OSError as exc:
        log.warning("%s left out: %s", label, exc.strerror or exc)
        return None
    finally:
        os.close(fd)


def _decode(data: bytes, final: bool) -> str | None:
    """UTF-8 text, or None; a cut file may end inside a character, which is dropped."""
    if b"\x00" in data:
        return None
    try:
        return codecs.getincrementaldecoder("utf-8")().decode(data, final=final)
    except UnicodeDecodeError:
        return None
