"""The one SQLite connection every table family of the store shares.

WAL mode, a busy timeout and short transactions, so parallel `goshi ask` processes can share the
file; the file (and so its -wal and -shm) is 0600 in a 0700 dir. The schema grows by the numbered
migrations in goshi/store/migrations.py.

Whatever SQLite says when it fails becomes a StoreError (exit 8) or StoreDamaged (exit 9) through
`failure`, a line that says what happened to which file and what to do.
"""

from __future__ import annotations

import contextlib
import logging
import stat
from collections.abc import Iterator
from pathlib import Path

from goshi import paths
from goshi.errors import StoreDamaged, StoreError
from goshi.store.engine import sqlite3
from goshi.store.migrations import MIGRATIONS

BUSY_TIMEOUT_S = 10.0
# Migrations that read every message, and a store big enough to make the wait worth a word
SLOW_MIGRATIONS = {15: "rebuilding the search index of your history"}
SLOW_FROM_BYTES = 64 << 20
_DAMAGED = ("malformed", "not a database", "corrupt", "unsupported file format")
_FULL = ("disk is full", "disk i/o error")


def failure(exc: sqlite3.Error, path: Path) -> StoreError:
    """What SQLite's error means for the user, as one line naming the file."""
    text = str(exc)
    said = text.lower()
    if any(word in said for word in _DAMAGED):
        return StoreDamaged(
            f"goshi's store {path} is damaged ({text})",
            f"set it aside with `mv {path} {path}.damaged` and goshi starts a new one"
            " (the old history and spend stay in the moved file)",
        )
    if "locked" in said or "busy" in said:
        return StoreError(
            f"goshi's store {path} stayed locked by another process for {BUSY_TIMEOUT_S:g} s",
            f"try again when the other goshi finishes (`fuser {path}` names it)",
        )
    if any(word in said for word in _FULL):
        return StoreError(
            f"cannot write goshi's store {path}: the disk is full ({text})",
            "free some space and ask again",
        )
    if "readonly" in said or "read-only" in said:
        return StoreError(
            f"goshi's store {path} is read-only ({text})",
            "make the file and its directory writable",
        )
    return StoreError(f"goshi's store {path} failed: {text}", "run the command again")


def _must_be_a_file(path: Path) -> None:
    """A directory, FIFO, device or dangling link where goshi.db belongs: say so, and how to set
    it aside (SQLite would say "unable to open" or "disk I/O error", or block on a FIFO)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        if not path.is_symlink():
            return  # a new store
        what = "a link to nothing"
    else:
        if stat.S_ISREG(mode):
            return
        what = "a directory" if stat.S_ISDIR(mode) else "not a regular file"
    raise StoreDamaged(
        f"goshi's store {path} is {what}",
        f"set it aside with `mv {path} {path}.damaged` and goshi starts a new one",
    )


def statements(script: str) -> list[str]:
    """A migration's statements; a trigger's body keeps its own semicolons."""
    out, pending = [], ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                out.append(pending)
            pending = ""
    return out


class Database:
    """Opens (and migrates) the store; the table families in this package build on it."""

    db: sqlite3.Connection

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or paths.store_file()
        try:
            paths.private_dir(self.path.parent)
            _must_be_a_file(self.path)
            # Before connecting: closing any descriptor of a file SQLite has open drops its
            # locks on it. SQLite gives new -wal and -shm files the mode of the database.
            paths.private_file(self.path)
            for side in ("-wal", "-shm"):  # made by an older goshi, perhaps world-readable
                paths.tighten(self.path.with_name(self.path.name + side))
            self.db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")  # WAL-safe; no fsync per commit
            self.db.execute("PRAGMA foreign_keys=ON")
            self.db.execute("PRAGMA temp_store=MEMORY")  # search's snippets: no text in /tmp
            # what is deleted (`history rm`) is overwritten, not left in free pages: Debian's
            # Python SQLite was built so, sqlean.py's is not (+~40 ms for 11,000 messages)
            self.db.execute("PRAGMA secure_delete=ON")
            self._migrate()
        except sqlite3.Error as exc:
            raise failure(exc, self.path) from None
        except OSError as exc:
            raise StoreError(
                f"cannot open goshi's store at {self.path} ({exc.strerror or exc})",
                "check that the XDG data directory is writable",
            ) from None

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise StoreError(
                f"goshi's store {self.path} was written by a newer goshi (schema {version};"
                f" this one knows {len(MIGRATIONS)})",
                f"upgrade goshi, or set the file aside with `mv {self.path} {self.path}.newer`",
            )
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            if number in SLOW_MIGRATIONS and self.path.stat().st_size >= SLOW_FROM_BYTES:
                megabytes = self.path.stat().st_size >> 20
                logging.getLogger("goshi").warning(
                    "%s (once, after an upgrade: some seconds for %d MB)",
                    SLOW_MIGRATIONS[number],
                    megabytes,
                )
            with self.writing():
                # another process may have migrated while we waited for the lock
                if self.db.execute("PRAGMA user_version").fetchone()[0] >= number:
                    continue
                for statement in statements(script):
                    self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {number}")

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """One write transaction (BEGIN IMMEDIATE: the write lock first, so two goshi processes
        never both read then write): committed when the block ends, else rolled back."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.rollback()
            raise
        self.db.execute("COMMIT")

    def rollback(self) -> None:
        """Ends a transaction a failure cut short, unless SQLite ended it already (it does when
        a write fails: a full disk, an I/O error), so the failure itself is what is told."""
        if self.db.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                self.db.execute("ROLLBACK")

    def shared(self) -> bool:
        """Has another process this store open (goshi/store/lockpeek.py)? True when unsure."""
        from goshi.store.lockpeek import others_connected

        return others_connected(self.path)

    def close(self) -> None:
        self.db.close()
