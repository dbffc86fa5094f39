"""Logging: every record goes to the log file in the XDG state dir; warnings also go to stderr.

Stderr lines are plain (`goshi: ...`), one per record; -v shows info there too, -vv debug.
Past 5 MB the log becomes goshi.log.1 (replacing the older one) and a new one starts.
The API key never reaches a record: error texts from servers are redacted before they are raised.
"""

from __future__ import annotations

import logging
import sys

from goshi import paths

log = logging.getLogger("goshi")
MAX_LOG_BYTES = 5_000_000


class _QuietFileHandler(logging.FileHandler):
    def handleError(self, record: logging.LogRecord) -> None:
        """A full disk or a read-only state dir must not print a traceback or stop an answer."""


def setup(verbosity: int = 0) -> None:
    if log.handlers:
        return
    log.setLevel(logging.DEBUG if verbosity > 1 else logging.INFO)
    log.propagate = False
    stderr = logging.StreamHandler(sys.stderr)
    stderr.setLevel(logging.WARNING - 10 * min(verbosity, 2))
    stderr.setFormatter(logging.Formatter("goshi: %(message)s"))
    log.addHandler(stderr)
    try:
        file = paths.log_file()
        file.parent.mkdir(parents=True, exist_ok=True)
        if file.exists() and file.stat().st_size > MAX_LOG_BYTES:  # keep one old log, no more
            file.replace(file.with_name(file.name + ".1"))
        handler = _QuietFileHandler(file, encoding="utf-8", delay=True)
    except OSError:
        return  # an unwritable state dir must not stop an answer
    handler.setLevel(logging.INFO)
    handler.setFormatter(logging.Formatter("%(asctime)s %(process)d %(levelname)s %(message)s"))
    log.addHandler(handler)
