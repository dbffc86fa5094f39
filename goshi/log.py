"""Logging: every record goes to the log file in the XDG state dir; warnings also go to stderr.

Stderr lines are plain (`goshi: ...`), one per record; -v shows info there too, -vv debug.
Records logged with `extra={"file_only": True}` (an MCP server's stderr) never reach the terminal.
Past 5 MB the log becomes goshi.log.1 (replacing the older one) and a new one starts.

Every message passes credentials.redact (the key, key-shaped text, URL passwords), then is made
safe for where it goes: stderr may be a terminal, so controls are shown (sanitize.one_line); a log
line escapes newlines and controls (sanitize.for_log), so a server cannot forge a line. The state
dir is 0700 and the log 0600: it records what was asked.
"""

from __future__ import annotations

import logging
import stat
import sys
from collections.abc import Callable

from goshi import paths
from goshi.credentials import redact
from goshi.sanitize import for_log, one_line

log = logging.getLogger("goshi")
MAX_LOG_BYTES = 5_000_000


class _QuietFileHandler(logging.FileHandler):
    """A log file that cannot be opened or written (full disk, read-only or immutable file, a
    directory in its place) is given up with one stderr line: logging never stops an answer."""

    broken = False

    def emit(self, record: logging.LogRecord) -> None:
        if self.broken:
            return
        try:  # Python 3.11 opens a delayed file outside emit's own try (a directory raises)
            super().emit(record)
        except OSError:
            self.handleError(record)

    def handleError(self, record: logging.LogRecord) -> None:
        if self.broken:
            return
        self.broken = True
        error = sys.exc_info()[1]
        reason = getattr(error, "strerror", None) or error
        try:
            sys.stderr.write(
                f"goshi: cannot write the log {self.baseFilename} ({reason}); going on without it\n"
            )
            if self.stream is not None:
                self.stream.close()
        except (OSError, ValueError):
            pass
        self.stream = None


class SafeFormatter(logging.Formatter):
    """Formats a record with its message redacted and escaped by `escape`."""

    def __init__(self, fmt: str, escape: Callable[[str], str]) -> None:
        super().__init__(fmt)
        self.escape = escape

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = self.escape(redact(record.message))
        return super().formatMessage(record)


def setup(verbosity: int = 0) -> None:
    if log.handlers:
        return
    log.setLevel(logging.DEBUG if verbosity > 1 else logging.INFO)
    log.propagate = False
    stderr = logging.StreamHandler(sys.stderr)
    stderr.setLevel(logging.WARNING - 10 * min(verbosity, 2))
    stderr.setFormatter(SafeFormatter("goshi: %(message)s", one_line))
    stderr.addFilter(lambda record: not getattr(record, "file_only", False))
    log.addHandler(stderr)
    try:
        file = paths.log_file()
        paths.private_dir(file.parent)
        if file.exists() and not stat.S_ISREG(file.stat().st_mode):
            # a FIFO would block the first write until someone reads it; a directory, a device
            sys.stderr.write(
                f"goshi: cannot write the log {one_line(str(file))} (not a regular file);"
                " going on without it\n"
            )
            return
        if file.exists() and file.stat().st_size > MAX_LOG_BYTES:  # keep one old log, no more
            file.replace(file.with_name(file.name + ".1"))
        paths.private_file(file)
        # a lone surrogate from a server or model is spelt \udc80, not a lost log
        handler = _QuietFileHandler(file, encoding="utf-8", errors="backslashreplace", delay=True)
    except OSError:
        return  # an unwritable state dir must not stop an answer
    handler.setLevel(logging.INFO)
    handler.setFormatter(
        SafeFormatter("%(asctime)s %(process)d %(levelname)s %(message)s", for_log)
    )
    log.addHandler(handler)
