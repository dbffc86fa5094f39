"""How every command ends: its exit code, or goshi's expected failure as one line on stderr.

either door (goshi/entry.py, goshi/cli.py) -> run(command) -> exit code
GoshiError -> one line, its exit code   SQLite error -> StoreError naming goshi.db
Ctrl-C / SIGTERM / SIGHUP outside a turn -> 130 / 143 / 129   a reader that left -> 0
"""

import errno
import os
import sys
from collections.abc import Callable

from goshi.errors import GoshiError


def reader_left() -> int:
    """`goshi ask ... | head -1`: the reader left; that is not an error."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def run(command: Callable[[], int | None], verbose: int) -> int:
    """Run a command; turn goshi's expected failures into one line on stderr and an exit code.
    SIGTERM and SIGHUP end it like Ctrl-C (goshi/signals.py); a SQLite error anywhere is a
    StoreError that names goshi.db (a damaged one says how to set it aside)."""
    from goshi import log, signals

    signals.install()
    log.setup(verbose)
    try:
        return command() or 0
    except GoshiError as exc:
        report(exc, verbose)
        return exc.exit_code
    except BrokenPipeError:  # inside the command: Click would make it exit 1
        return reader_left()
    except KeyboardInterrupt as exc:  # Ctrl-C, SIGTERM or SIGHUP outside a turn
        error = signals.interrupted(exc, "")
        report(error, verbose)
        return error.exit_code
    except Exception as exc:
        return failed(exc, verbose)


def failed(exc: Exception, verbose: int) -> int:
    """An exception goshi did not expect, said in one line: its exit code."""
    bug = unexpected(exc)
    report(bug, verbose)
    return bug.exit_code


def unexpected(exc: Exception) -> GoshiError:
    """A SQLite error anywhere names goshi.db; anything else is a bug in goshi: its traceback
    goes to goshi.log only, and the user gets one line that says where it is."""
    import logging

    from goshi import paths
    from goshi.errors import InternalError, UsageError

    # the store's SQLite raised it only if it was loaded: importing it here could fail again
    # (a compiled module that will not load) and put a traceback in front of the user
    engine = sys.modules.get("goshi.store.engine")
    if engine is not None and isinstance(exc, engine.sqlite3.Error):
        from goshi.store.db import failure

        return failure(exc, paths.store_file())
    if isinstance(exc, OSError) and exc.filename is not None and exc.errno in _PATH_ERRNOS:
        return UsageError(  # a path the user gave that the system will not take
            f"{exc.strerror}: {_short(str(exc.filename))}", "check the path and try again"
        )
    logging.getLogger("goshi").error(
        "internal error: %s: %s", type(exc).__name__, exc, exc_info=exc, extra={"file_only": True}
    )
    return InternalError(
        f"internal error ({type(exc).__name__}: {_short(str(exc))})",
        f"this is a bug in goshi: the details are in {paths.log_file()}; please report it",
    )


def report(exc: GoshiError, verbose: int) -> None:
    """One line on stderr (a terminal, perhaps): redacted, controls shown, never interpreted."""
    try:
        sys.stderr.write(f"goshi: {exc.line()}\n")
        if verbose and exc.detail:
            from goshi.credentials import redact
            from goshi.sanitize import one_line

            sys.stderr.write(f"goshi: detail: {one_line(redact(exc.detail))}\n")
        sys.stderr.flush()
    except (OSError, ValueError):  # the terminal went away (SIGHUP): the exit code still says it
        pass


def _short(text: str, most: int = 160) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"


_PATH_ERRNOS = {
    errno.ENAMETOOLONG,
    errno.ENOENT,
    errno.ENOTDIR,
    errno.EISDIR,
    errno.EACCES,
    errno.EPERM,
    errno.ELOOP,
    errno.EINVAL,
}
