"""One command run to its end, whatever happens: a process group goshi can always take down.

argv -> a new session (its own process group, no controlling terminal), cwd, the given
environment, stdin /dev/null, stdout and stderr on one pipe (interleaved as written)
-> each chunk: decoded, kept bounded (head + tail), passed to `watch` as it arrives
-> the leader exits (and its pipe closes, or a background child is given GRACE_S to let go)
   | the timeout passes | Ctrl-C (SIGINT is goshi's while this runs) | SIGTERM or SIGHUP
   (raised by goshi/signals.py: goshi is ending, and takes the command with it)
-> the group gets SIGTERM, then SIGKILL after KILL_AFTER_S; on a normal exit, SIGKILL for
   whatever it left running; then every process that left the group (setsid, a daemon) is
   ended too (goshi/agent/reaper.py: goshi is their subreaper). The leader is reaped last, so
   the group id cannot be reused by an unrelated process while it is signalled.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import selectors
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from goshi.agent.reaper import Watch
from goshi.signals import drop, hold, release

HEAD_CHARS = 4_000
TAIL_CHARS = 12_000
GRACE_S = 0.5
KILL_AFTER_S = 1.0
POLL_S = 0.05


@dataclass
class Ran:
    exit_code: int  # negative: killed by that signal
    seconds: float
    output: str  # head, a marker, tail
    size: int  # bytes written in all
    timed_out: bool = False
    interrupted: bool = False


class Bounded:
    """The first HEAD_CHARS and the last TAIL_CHARS of a stream of text; the middle counted."""

    def __init__(self, head: int = HEAD_CHARS, tail: int = TAIL_CHARS) -> None:
        self.head_max, self.tail_max = head, tail
        self.head = ""
        self.tail: list[str] = []
        self.tail_len = 0
        self.total = 0
        self.lines = 0

    def add(self, text: str) -> None:
        self.total += len(text)
        self.lines += text.count("\n")
        if len(self.head) < self.head_max:
            room = self.head_max - len(self.head)
            self.head += text[:room]
            text = text[room:]
        if text:
            self.tail.append(text)
            self.tail_len += len(text)
            if self.tail_len > 2 * self.tail_max:
                joined = "".join(self.tail)[-self.tail_max :]
                self.tail, self.tail_len = [joined], len(joined)

    def text(self) -> str:
        tail = "".join(self.tail)[-self.tail_max :]
        cut = self.total - len(self.head) - len(tail)
        if cut <= 0:
            return self.head + tail
        lines = self.lines - self.head.count("\n") - tail.count("\n")
        return (
            f"{self.head}\n[... {cut:,} characters ({lines:,} lines) cut from the middle ...]\n"
            f"{tail}"
        )


def run_group(
    argv: list[str],
    cwd: str,
    env: dict[str, str],
    timeout_s: float,
    watch: Callable[[str], None] | None = None,
) -> Ran:
    started = time.monotonic()
    left = Watch()  # what the command leaves outside its group is found at its end
    # A SIGTERM while the command starts (the child may already run while Popen waits for its
    # exec) waits until the try below, whose finally ends the group: no orphan is left running.
    main = threading.current_thread() is threading.main_thread()  # signals land there only
    if main:
        hold()
    try:
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
        )
    except BaseException:
        if main:
            drop()
        raise
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    os.set_blocking(fd, False)
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    out = Bounded()
    size = 0

    def take(data: bytes) -> None:
        nonlocal size
        size += len(data)
        text = decoder.decode(data, final=not data)
        if text:
            out.add(text)
            if watch is not None:
                watch(text)

    timed_out = interrupted = ending = False
    try:
        if main:
            release()  # raises a signal that came while the command started
        with selectors.DefaultSelector() as sel, _ctrl_c() as ctrl_c:
            sel.register(fd, selectors.EVENT_READ)
            eof, leader_gone = False, 0.0
            while True:
                now = time.monotonic()
                if ctrl_c.is_set():
                    interrupted = True
                    break
                if now - started >= timeout_s:
                    timed_out = True
                    break
                if _exited(proc.pid):
                    leader_gone = leader_gone or now
                    if eof or now - leader_gone > GRACE_S:  # a background child holds the pipe
                        break
                if eof:
                    time.sleep(POLL_S)
                    continue
                if sel.select(min(POLL_S, max(0.0, timeout_s - (now - started)))):
                    data = _read(fd)
                    if data == b"":
                        eof = True
                        take(b"")
                    elif data:
                        take(data)
    except BaseException:  # SIGTERM, SIGHUP (goshi is ending) or an error: the command goes too
        interrupted = ending = True
        raise
    finally:
        if timed_out or interrupted:
            _signal_group(proc.pid, signal.SIGTERM)
            _wait_exit(proc.pid, KILL_AFTER_S)
        _signal_group(proc.pid, signal.SIGKILL)  # what is left, while the leader holds the id
        left.end(proc.pid)  # and what left the group (setsid, a daemon), found from goshi
        if not ending:
            _drain(fd, take)
        code = proc.wait()
        proc.stdout.close()
    return Ran(code, time.monotonic() - started, out.text(), size, timed_out, interrupted)


def _read(fd: int) -> bytes | None:
    try:
        return os.read(fd, 65536)
    except BlockingIOError:
        return None


def _drain(fd: int, take: Callable[[bytes], None]) -> None:
    """What is still in the pipe once every writer is gone (or nearly: bounded in time)."""
    deadline = time.monotonic() + GRACE_S
    while time.monotonic() < deadline:
        data = _read(fd)
        if data is None:
            time.sleep(0.01)
            continue
        take(data)
        if not data:
            return


def _exited(pid: int) -> bool:
    """Has the leader exited? It is not reaped, so its pid keeps naming the group."""
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def _wait_exit(pid: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not _exited(pid) and time.monotonic() < deadline:
        time.sleep(0.01)


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


@contextlib.contextmanager
def _ctrl_c() -> Iterator[threading.Event]:
    """While a command runs, Ctrl-C stops the command, not goshi. The child is in a session
    of its own, so the terminal's SIGINT reaches goshi alone."""
    pressed = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield pressed
        return
    previous = signal.signal(signal.SIGINT, lambda signum, frame: pressed.set())
    try:
        yield pressed
    finally:
        from goshi.signals import stopping

        if not stopping():  # a SIGTERM ends goshi: Ctrl-C stays ignored (goshi/signals.py)
            signal.signal(signal.SIGINT, previous)
