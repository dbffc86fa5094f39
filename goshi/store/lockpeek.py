"""Whether another process has the store open, asked of the kernel's locks, not of /proc.

Every connection to a WAL database holds a read lock on one byte of its -shm file while it is
open (SQLite's unix VFS: the "DMS" byte, offset 128, after the 8 lock slots at 120). F_GETLK
asks for the lock another process holds there, if any (this process's own never conflict).
`history rm` pauses between its batches only when someone else could be waiting to write.

The -shm file is opened once and never closed: closing any descriptor of a file drops every
POSIX lock this process holds on it, SQLite's own included (goshi/store/db.py says the same).
On a platform whose `struct flock` is not known here, or when the file cannot be asked, the
answer is True: pausing costs time, never correctness.
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

DMS_BYTE = 128
# struct flock: Linux (l_type, l_whence, l_start, l_len, l_pid), the BSDs and macOS (l_start,
# l_len, l_pid, l_type, l_whence)
_LINUX, _BSD = "@hhqqi4x", "@qqihh"
_open: dict[str, int] = {}


def others_connected(store: Path) -> bool:
    try:
        import fcntl
    except ImportError:
        return True
    shm = f"{store}-shm"
    try:
        fd = _open.get(shm)
        if fd is None:
            fd = _open[shm] = os.open(shm, os.O_RDONLY | os.O_CLOEXEC)
        if sys.platform.startswith("linux"):
            asked = struct.pack(_LINUX, fcntl.F_WRLCK, os.SEEK_SET, DMS_BYTE, 1, 0)
            held = struct.unpack(_LINUX, fcntl.fcntl(fd, fcntl.F_GETLK, asked))[0]
        elif sys.platform == "darwin" or "bsd" in sys.platform:
            asked = struct.pack(_BSD, DMS_BYTE, 1, 0, fcntl.F_WRLCK, os.SEEK_SET)
            held = struct.unpack(_BSD, fcntl.fcntl(fd, fcntl.F_GETLK, asked))[3]
        else:
            return True
    except OSError:
        return True
    return bool(held != fcntl.F_UNLCK)
