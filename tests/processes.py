"""Whether a process the suite caused is gone, asked of the kernel, not of /proc.

A test's goshi starts commands and MCP servers whose own children outlive their parent: those
orphans are the ones a test wants gone. The pytest process makes itself their subreaper (Linux),
so an orphan that exits becomes its zombie, which gone() reaps and counts as gone; elsewhere the
system's init reaps it. Signal 0 then tells a live process from no process, on any Unix.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

PR_SET_CHILD_SUBREAPER = 36


def adopt_orphans() -> None:
    """Orphaned descendants of this process come to it instead of to init (Linux only; elsewhere
    init reaps them, which is all gone() needs)."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


def gone(pid: int) -> bool:
    """No such process: reaped here if it is this process's (adopted) child, else signal 0."""
    try:
        reaped, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass  # not ours: its own parent or init reaps it
    else:
        if reaped == 0:
            return False  # our child, still running
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # it exists, as another user's process
    return False
