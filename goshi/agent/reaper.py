"""Every process a command starts ends with it, even one that left its process group.

A command's process group is signalled at its end (goshi/agent/process.py), but a process can
leave the group (`setsid -f`, a test script that starts a server and daemonizes). On Linux goshi
becomes a child subreaper (prctl PR_SET_CHILD_SUBREAPER) before its first command: such an
orphan is then re-parented to goshi, not to init, so goshi can find it.

    before the command: `Watch()` notes goshi's children (an MCP server is one: never touched)
    -> the command ends (exit, timeout, Ctrl-C, SIGTERM, SIGHUP)
    -> `Watch.end(leader)`: goshi's new children and the leader's, and all their descendants
       (read from /proc), get SIGTERM, then SIGKILL until none is left (one that forks while
       it is being ended is found on the next pass) -> goshi reaps the ones that are its own

Elsewhere (no /proc, no prctl) only the process group is ended.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time

PR_SET_CHILD_SUBREAPER = 36
PASSES = 20
SETTLE_S = 0.05

_subreaper: bool | None = None


def become_subreaper() -> bool:
    """Once per process: orphans of goshi's descendants come to goshi. False where impossible."""
    global _subreaper
    if _subreaper is None:
        _subreaper = False
        if sys.platform.startswith("linux"):
            import ctypes

            with contextlib.suppress(OSError, AttributeError):
                libc = ctypes.CDLL(None, use_errno=True)
                _subreaper = libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    return _subreaper


def parents() -> dict[int, int]:
    """Every process's parent, from /proc ({} where there is none)."""
    table: dict[int, int] = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return table
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read()
        except OSError:  # it ended while the list was read
            continue
        fields = stat.rsplit(b")", 1)[-1].split()
        if len(fields) > 2 and fields[0] != b"Z":  # a zombie has nothing left to end
            table[int(name)] = int(fields[1])
    return table


def _children(table: dict[int, int], pid: int) -> set[int]:
    return {child for child, parent in table.items() if parent == pid}


class Watch:
    """goshi's children before a command starts, so what the command leaves behind is known."""

    def __init__(self) -> None:
        self.active = become_subreaper()
        self.me = os.getpid()
        self.before = _mine(self.me) if self.active else set()

    def end(self, leader: int) -> None:
        """End whatever the command (led by `leader`, not reaped here) left running."""
        if not self.active:
            return
        mine: set[int] = set()
        for step in range(PASSES):
            table = parents()
            roots = (_children(table, self.me) - self.before - {leader}) | {leader}
            tree = _descendants(table, roots) - {leader}
            if not tree:
                break
            mine |= {pid for pid in tree if table.get(pid) == self.me}
            for pid in tree:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGTERM if step == 0 else signal.SIGKILL)
            time.sleep(SETTLE_S)
            _reap(mine)
        _reap(_mine(self.me) - self.before - {leader})


def _descendants(table: dict[int, int], roots: set[int]) -> set[int]:
    found, todo = set(roots), list(roots)
    while todo:
        for child in _children(table, todo.pop()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _mine(me: int) -> set[int]:
    """goshi's children, zombies included (they are goshi's to reap): each thread's list (an
    orphan comes to any thread of goshi), else, without those lists, the parents in /proc."""
    kids: set[int] = set()
    read = False
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{me}/task"):
            with contextlib.suppress(OSError), open(f"/proc/{me}/task/{task}/children") as f:
                kids |= {int(pid) for pid in f.read().split()}
                read = True
    return kids if read else _children(parents(), me)


def _reap(pids: set[int]) -> None:
    for pid in list(pids):
        with contextlib.suppress(ChildProcessError):
            if os.waitpid(pid, os.WNOHANG)[0] == 0:
                continue
        pids.discard(pid)
