"""SIGTERM and SIGHUP end a turn the way Ctrl-C does, and no signal cuts a record in half.

    signal -> the handler raises Stopped (a KeyboardInterrupt) in the main thread -> the turn
    keeps the partial answer and charges it (goshi/turn/runner.py) -> Interrupted, HungUp or
    Terminated -> exit 130, 129 or 143

Inside `held()` (an answer, its store row and its ledger charge being written), and while an
earlier signal's interrupt is being handled, a signal waits: the handler notes it and it is
raised when the block ends (or makes the ending a SIGTERM's), so the three are written together.
After a SIGTERM or SIGHUP has been raised, every later signal (Ctrl-C too) is ignored: goshi is
already ending, keeping what arrived.
"""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from goshi.errors import HungUp, Interrupted, Terminated

_CAUGHT = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised where the main thread was, like Ctrl-C's KeyboardInterrupt."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


_held = 0
_pending: int | None = None
_stopping = False


def install() -> None:
    """Route SIGINT, SIGTERM and SIGHUP through goshi (main thread only; a no-op elsewhere)."""
    try:
        for signum in _CAUGHT:
            if signal.getsignal(signum) is not signal.SIG_IGN:  # `nohup goshi ...` stays immune
                signal.signal(signum, _on_signal)
    except ValueError:  # not the main thread
        pass


def _on_signal(signum: int, frame: FrameType | None) -> None:
    global _pending
    if _stopping:  # goshi is already ending; a second signal must not cut that short
        return
    if _held or isinstance(sys.exc_info()[1], KeyboardInterrupt):
        # inside a held block, or while an earlier signal's interrupt is being handled (the
        # partial answer being kept): wait; SIGTERM or SIGHUP outranks a Ctrl-C
        if _pending is None or _pending == signal.SIGINT:
            _pending = signum
        return
    _raise(signum)


def _raise(signum: int) -> None:
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    _stop()
    raise Stopped(signum)


def _stop() -> None:
    global _stopping
    _stopping = True
    with contextlib.suppress(ValueError):  # from now on the OS drops them: even while Python
        for caught in _CAUGHT:  # shuts down, when it puts back the default handlers
            signal.signal(caught, signal.SIG_IGN)


def stopping() -> bool:
    """Has a SIGTERM or SIGHUP begun ending goshi?"""
    return _stopping


@contextmanager
def held() -> Iterator[None]:
    """Signals that arrive inside wait until the block ends (then they are raised)."""
    global _held
    hold()
    try:
        yield
    except BaseException:
        drop()
        raise
    release()


def hold() -> None:
    """held() in two calls, for a path run once per token (a generator costs more)."""
    global _held
    _held += 1


def drop() -> None:
    """Leave a hold() on the block's own exception: it goes on, and a waiting signal waits on."""
    global _held
    _held -= 1


def release() -> None:
    global _held, _pending
    _held -= 1
    if not _held and _pending is not None:
        signum, _pending = _pending, None
        if signum == signal.SIGINT and isinstance(sys.exc_info()[1], KeyboardInterrupt):
            return  # a second Ctrl-C while the first is handled: that one answers both
        _raise(signum)


def interrupted(exc: KeyboardInterrupt, hint: str) -> Interrupted:
    """The error that ends a turn stopped by Ctrl-C (130), SIGHUP (129) or SIGTERM (143)."""
    global _pending
    signum = getattr(exc, "signum", signal.SIGINT)
    if signum == signal.SIGINT and _pending in (signal.SIGTERM, signal.SIGHUP):
        signum = _pending  # a SIGTERM came while a Ctrl-C was handled: goshi ends as asked
        _stop()
    _pending = None  # what came while this was handled is answered by it
    if signum == signal.SIGTERM:
        return Terminated("terminated (SIGTERM)", hint)
    if signum == signal.SIGHUP:
        return HungUp("hung up (SIGHUP: the terminal closed)", hint)
    return Interrupted("interrupted", hint)
