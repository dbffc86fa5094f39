"""The console script's front door, and how every command ends.

    goshi ask WORDS...   (no option at all: the shape scripts use most) -> goshi/ask.py directly
    anything else                                                      -> the Typer app (cli.py)
    either way: run(command) -> exit code; goshi's expected failures one line on stderr

Importing Typer costs a one-token `goshi ask` ~27 ms, an eighth of the whole run; a command line
of words only is parsed the same by Typer and by `argv[2:]`, so that one skips it. An option, a
`-` or `--`, completion, --help or a mistake all go to Typer, which owns every message.
"""

import os
import sys
from collections.abc import Callable

from goshi.errors import GoshiError


def main() -> None:
    argv = sys.argv[1:]
    if (
        argv[:1] != ["ask"]
        or any(a.startswith("-") for a in argv)
        or "_GOSHI_COMPLETE" in os.environ
    ):
        from goshi import cli

        cli.main()
        return
    from goshi.ask import AskOptions
    from goshi.ask import run as ask

    sys.exit(run(lambda: ask(AskOptions(words=argv[1:])), 0))


def plain_ask(argv: list[str]) -> bool:
    """`ask` and words, none of them an option, with no shell asking what Tab should offer."""
    words_only = not any(a.startswith("-") for a in argv)
    return argv[:1] == ["ask"] and words_only and "_GOSHI_COMPLETE" not in os.environ


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
        import sqlite3

        if not isinstance(exc, sqlite3.Error):
            raise
        from goshi import paths
        from goshi.store.db import failure

        broken = failure(exc, paths.store_file())
        report(broken, verbose)
        return broken.exit_code


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
