"""The SQLite goshi's store runs on: sqlean.py's build (SQLite 3.50), whatever the Python's own is.

The search index is an FTS5 table with `contentless_delete=1` (SQLite 3.43): a message leaves
it by its rowid. On an older SQLite (Debian 12's Python has 3.40) a message can only leave an
FTS5 index by handing its text back to be tokenized again, which made `history rm` of a
10,000-message conversation take 0.15-0.25 s of re-tokenizing in its write transactions.

Every module of goshi that opens the store or catches its errors takes `sqlite3` from here: the
exception classes of two SQLite modules are different classes. Type checkers see the standard
module, whose interface sqlean.py keeps.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite3
else:
    import sqlean as sqlite3

__all__ = ["sqlite3"]
