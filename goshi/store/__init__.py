"""goshi's SQLite store in the XDG data dir: one file, one connection, one migration list, and a
small repository per table family:

    db.py             the connection (WAL, busy timeout) and the numbered migrations
    conversations.py  conversations and messages
    ledger.py         the spend ledger
    audit.py          the tool-call audit
    circuits.py       circuit-breaker state shared across processes
    params.py         request fields each server was found to disagree on
    search.py         full-text search over questions and answers (FTS5, kept by triggers)
    context.py        model facts (context windows) and compactions of the sent view
    changes.py        every file change goshi applied, its undos and redos

`Store` is all of them over one connection; code that needs one family can take that type.
"""

from __future__ import annotations

from goshi.store.audit import Audit
from goshi.store.changes import Changes, FileChange
from goshi.store.circuits import CircuitRow, Circuits
from goshi.store.context import Compaction, ContextRecords
from goshi.store.conversations import (
    SENDABLE,
    Conversation,
    Conversations,
    ConversationSummary,
    StoredMessage,
)
from goshi.store.ledger import Ledger
from goshi.store.params import ServerParams
from goshi.store.search import Search

__all__ = [
    "SENDABLE",
    "CircuitRow",
    "Compaction",
    "Conversation",
    "ConversationSummary",
    "FileChange",
    "Store",
    "StoredMessage",
]


class Store(Conversations, Ledger, Audit, Circuits, ServerParams, Search, ContextRecords, Changes):
    """The whole store: every table family over one shared connection."""
