"""Writing and removing a file in the folder that was checked, not in whatever the path names
a moment later.

    folder(path)          the descriptor of path's folder, walked from / one name at a time with
                          O_NOFOLLOW: a link anywhere on the way (a folder swapped for a symlink
                          after the approval's check) is Moved, never followed; missing folders
                          are made on the way, each checked the same
    write(path, content)  a temp file in that folder, then a rename in it: old or new, never half
    remove(path)          the name unlinked in that folder

Checking the path and then writing by the path (as `same_place` and `open` do) leaves a window in
which another process can swap a folder on the way for a link out of the workspace; holding the
folder's descriptor from the walk to the rename closes it. POSIX only (goshi's platforms).
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path

# O_PATH (Linux) opens a folder one may only pass through (mode --x), as a path walk can
_DIR = getattr(os, "O_PATH", os.O_RDONLY) | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


class Moved(OSError):
    """A folder on the way to the file is now a link (or not a folder)."""

    def __init__(self, path: Path) -> None:
        super().__init__(errno.ELOOP, "a folder on the way is now a link", str(path))


@contextlib.contextmanager
def folder(path: Path) -> Iterator[int]:
    """The descriptor of `path`'s folder (absolute, without links), made where it is missing."""
    fd = os.open("/", _DIR)
    try:
        for name in path.parent.parts[1:]:
            try:
                child = _enter(name, fd, path)
            except FileNotFoundError:
                with contextlib.suppress(FileExistsError):  # made meanwhile: checked below
                    os.mkdir(name, 0o777, dir_fd=fd)
                child = _enter(name, fd, path)
            os.close(fd)
            fd = child
        yield fd
    finally:
        os.close(fd)


def _enter(name: str, fd: int, path: Path) -> int:
    try:
        return os.open(name, _DIR, dir_fd=fd)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
            raise Moved(path) from None
        raise


def write(path: Path, content: str) -> None:
    """`content` (UTF-8, line endings as given) at `path`, its mode kept (a new file: 0666 less
    the umask, as an editor makes it)."""
    data = content.encode("utf-8")
    with folder(path) as fd:
        try:
            info = os.stat(path.name, dir_fd=fd, follow_symlinks=False)
            mode = stat.S_IMODE(info.st_mode) if stat.S_ISREG(info.st_mode) else None
        except FileNotFoundError:
            mode = None
        if mode is None:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        tmp = f".{path.name[:200]}.{secrets.token_hex(4)}.goshi"
        out = os.open(tmp, _NEW, 0o600, dir_fd=fd)
        try:
            with os.fdopen(out, "wb") as f:
                f.write(data)
                os.fchmod(f.fileno(), mode)
            os.replace(tmp, path.name, src_dir_fd=fd, dst_dir_fd=fd)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp, dir_fd=fd)
            raise


def remove(path: Path) -> None:
    with folder(path) as fd:
        os.unlink(path.name, dir_fd=fd)
