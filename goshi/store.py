"""goshi's SQLite store in the XDG data dir: conversations, messages, circuit-breaker state,
the spend ledger and the tool-call audit.

WAL mode, a busy timeout and short transactions, so parallel `goshi ask` processes can share it.
The schema grows by numbered migrations (`PRAGMA user_version` says how many have run).
A question is saved *before* it is sent (status `pending`), so a failure never loses the
user's turn.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from goshi import paths
from goshi.errors import GoshiError, UsageError
from goshi.llm.types import Message, ToolCall, Usage

MIGRATIONS: tuple[str, ...] = (
    # 1: conversations and messages
    """
    CREATE TABLE conversations (
        id INTEGER PRIMARY KEY,
        created_at REAL NOT NULL,
        model TEXT NOT NULL,
        backend TEXT NOT NULL,
        system TEXT
    );
    CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        created_at REAL NOT NULL,
        role TEXT NOT NULL,
        content TEXT NOT NULL,
        tool_calls TEXT,
        tool_call_id TEXT,
        status TEXT NOT NULL,
        backend TEXT,
        model TEXT,
        prompt_tokens INTEGER,
        completion_tokens INTEGER,
        cached_tokens INTEGER
    );
    CREATE INDEX messages_by_conversation ON messages(conversation_id, id);
    """,
    # 2: circuit breakers, shared by every goshi process
    """
    CREATE TABLE circuits (
        key TEXT PRIMARY KEY,
        state TEXT NOT NULL,
        failures INTEGER NOT NULL,
        opened_at REAL NOT NULL,
        probe_at REAL NOT NULL,
        updated_at REAL NOT NULL
    );
    """,
    # 3: the spend ledger: one row per model response, cost in integer pico-dollars
    """
    CREATE TABLE ledger (
        id INTEGER PRIMARY KEY,
        at REAL NOT NULL,
        conversation_id INTEGER,
        backend TEXT NOT NULL,
        model TEXT NOT NULL,
        prompt_tokens INTEGER NOT NULL,
        cached_tokens INTEGER NOT NULL,
        completion_tokens INTEGER NOT NULL,
        cost_pico INTEGER,
        estimated INTEGER NOT NULL
    );
    CREATE INDEX ledger_by_time ON ledger(at);
    CREATE INDEX ledger_by_conversation ON ledger(conversation_id);
    """,
    # 4: the tool-call audit: what the model asked to run, how it went (secrets redacted)
    """
    CREATE TABLE tool_calls (
        id INTEGER PRIMARY KEY,
        at REAL NOT NULL,
        conversation_id INTEGER NOT NULL,
        message_id INTEGER,
        call_id TEXT,
        tool TEXT NOT NULL,
        arguments TEXT NOT NULL,
        status TEXT NOT NULL,
        summary TEXT NOT NULL,
        duration_ms REAL NOT NULL
    );
    CREATE INDEX tool_calls_by_message ON tool_calls(message_id);
    """,
)

CircuitRow = tuple[str, int, float, float]  # state, consecutive failures, opened_at, probe_at

# Message status: the question is `pending` until answered (`ok`) or failed (`failed`);
# an answer is `ok`, or `interrupted` when Ctrl-C or a cut stream left only part of it, or
# `superseded` when /retry asked again. `ok`, `interrupted` and `pending` are sent.
SENDABLE = ("ok", "interrupted", "pending")


@dataclass(slots=True)
class Conversation:
    id: int
    created_at: float
    model: str
    backend: str
    system: str | None


@dataclass(slots=True)
class ConversationSummary:
    id: int
    created_at: float
    model: str
    turns: int
    cost_pico: int
    first_line: str


@dataclass(slots=True)
class StoredMessage:
    id: int
    created_at: float
    role: str
    content: str
    tool_calls: list[list[str]]
    tool_call_id: str | None
    status: str
    backend: str | None
    model: str | None
    prompt_tokens: int | None
    completion_tokens: int | None


def _first_line(text: str) -> str:
    return (text.strip().splitlines() or [""])[0]


class Store:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or paths.store_file()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")  # WAL-safe; no fsync per commit
            self.db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except (OSError, sqlite3.Error) as exc:
            raise GoshiError(
                f"cannot open goshi's store at {self.path} ({exc})",
                "check that the XDG data directory is writable",
            ) from None

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            self.db.execute("BEGIN IMMEDIATE")
            try:
                # another process may have migrated while we waited for the lock
                if self.db.execute("PRAGMA user_version").fetchone()[0] >= number:
                    self.db.execute("ROLLBACK")
                    continue
                for statement in script.split(";"):
                    if statement.strip():
                        self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {number}")
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise

    def close(self) -> None:
        self.db.close()

    # --- conversations ---------------------------------------------------------------------

    def new_conversation(self, model: str, backend: str, system: str | None) -> Conversation:
        now = time.time()
        cur = self.db.execute(
            "INSERT INTO conversations (created_at, model, backend, system) VALUES (?, ?, ?, ?)",
            (now, model, backend, system),
        )
        assert cur.lastrowid is not None
        return Conversation(cur.lastrowid, now, model, backend, system)

    def conversation(self, cid: int) -> Conversation:
        row = self.db.execute(
            "SELECT id, created_at, model, backend, system FROM conversations WHERE id = ?", (cid,)
        ).fetchone()
        if row is None:
            raise UsageError(f"no conversation {cid}", "list them with `goshi history`")
        return Conversation(*row)

    def last_conversation(self) -> Conversation | None:
        row = self.db.execute("SELECT max(id) FROM conversations").fetchone()
        return None if row[0] is None else self.conversation(row[0])

    def set_system(self, cid: int, system: str | None) -> None:
        self.db.execute("UPDATE conversations SET system = ? WHERE id = ?", (system, cid))

    def delete_conversation(self, cid: int) -> None:
        self.conversation(cid)  # raises for an unknown id
        self.db.execute("DELETE FROM conversations WHERE id = ?", (cid,))

    def conversations(self, limit: int = 20) -> list[ConversationSummary]:
        """The newest conversations with their turns, spend and first question."""
        rows = self.db.execute(
            "SELECT c.id, c.created_at, c.model,"
            " (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id"
            "  AND m.role = 'user'),"
            " (SELECT coalesce(sum(cost_pico), 0) FROM ledger l WHERE l.conversation_id = c.id),"
            " (SELECT content FROM messages m WHERE m.conversation_id = c.id"
            "  AND m.role = 'user' ORDER BY id LIMIT 1)"
            " FROM conversations c ORDER BY c.id DESC LIMIT ?",
            (limit,),
        ).fetchall()
        return [
            ConversationSummary(cid, at, model, turns, cost, _first_line(first or ""))
            for cid, at, model, turns, cost, first in rows
        ]

    def transcript(self, cid: int) -> list[StoredMessage]:
        """Every message of a conversation, whatever its status, in order."""
        rows = self.db.execute(
            "SELECT id, created_at, role, content, tool_calls, tool_call_id, status, backend,"
            " model, prompt_tokens, completion_tokens FROM messages"
            " WHERE conversation_id = ? ORDER BY id",
            (cid,),
        ).fetchall()
        return [
            StoredMessage(
                r[0],
                r[1],
                r[2],
                r[3],
                json.loads(r[4]) if r[4] else [],
                r[5],
                r[6],
                r[7],
                r[8],
                r[9],
                r[10],
            )
            for r in rows
        ]

    # --- messages --------------------------------------------------------------------------

    def add_message(
        self,
        cid: int,
        message: Message,
        status: str,
        *,
        backend: str | None = None,
        model: str | None = None,
        usage: Usage | None = None,
    ) -> int:
        calls = (
            json.dumps([[c.id, c.name, c.arguments] for c in message.tool_calls])
            if message.tool_calls
            else None
        )
        cur = self.db.execute(
            "INSERT INTO messages (conversation_id, created_at, role, content, tool_calls,"
            " tool_call_id, status, backend, model, prompt_tokens, completion_tokens,"
            " cached_tokens) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                cid,
                time.time(),
                message.role,
                message.content,
                calls,
                message.tool_call_id,
                status,
                backend,
                model,
                usage.prompt_tokens if usage else None,
                usage.completion_tokens if usage else None,
                usage.cached_tokens if usage else None,
            ),
        )
        assert cur.lastrowid is not None
        return cur.lastrowid

    def reopen_last_question(self, cid: int) -> int | None:
        """For a retry: the last question becomes pending again, and what answered it is
        superseded (kept, never sent again). None when there is no question yet."""
        row = self.db.execute(
            "SELECT max(id) FROM messages WHERE conversation_id = ? AND role = 'user'", (cid,)
        ).fetchone()
        if row[0] is None:
            return None
        self.db.execute(
            "UPDATE messages SET status = 'superseded' WHERE conversation_id = ? AND id > ?",
            (cid, row[0]),
        )
        self.db.execute("UPDATE messages SET status = 'pending' WHERE id = ?", (row[0],))
        return int(row[0])

    def set_status(self, message_id: int, status: str) -> None:
        self.db.execute("UPDATE messages SET status = ? WHERE id = ?", (status, message_id))

    def history(self, cid: int) -> list[Message]:
        """The messages worth sending again when a conversation continues."""
        rows = self.db.execute(
            "SELECT role, content, tool_calls, tool_call_id FROM messages"
            " WHERE conversation_id = ? AND status IN (?, ?, ?) ORDER BY id",
            (cid, *SENDABLE),
        ).fetchall()
        return [
            Message(
                role,
                content,
                [ToolCall(*c) for c in json.loads(calls)] if calls else [],
                call_id,
            )
            for role, content, calls, call_id in rows
        ]

    # --- the spend ledger ------------------------------------------------------------------

    def record_spend(
        self,
        cid: int | None,
        backend: str,
        model: str,
        usage: Usage,
        cost_pico: int | None,
        estimated: bool,
    ) -> None:
        self.db.execute(
            "INSERT INTO ledger (at, conversation_id, backend, model, prompt_tokens,"
            " cached_tokens, completion_tokens, cost_pico, estimated)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                time.time(),
                cid,
                backend,
                model,
                usage.prompt_tokens,
                usage.cached_tokens,
                usage.completion_tokens,
                cost_pico,
                int(estimated),
            ),
        )

    def spent(self, *, since: float | None = None, cid: int | None = None) -> int:
        """Pico-dollars spent since a time, or in one conversation."""
        if cid is not None:
            row = self.db.execute(
                "SELECT coalesce(sum(cost_pico), 0) FROM ledger WHERE conversation_id = ?", (cid,)
            ).fetchone()
        else:
            row = self.db.execute(
                "SELECT coalesce(sum(cost_pico), 0) FROM ledger WHERE at >= ?", (since or 0.0,)
            ).fetchone()
        return int(row[0])

    def spend_rows(self, since: float) -> list[tuple[str, str, str, int, int, int | None, int]]:
        """(local day, backend, model, prompt, completion, cost, conversation) since a time."""
        return self.db.execute(
            "SELECT date(at, 'unixepoch', 'localtime'), backend, model, prompt_tokens,"
            " completion_tokens, cost_pico, coalesce(conversation_id, 0)"
            " FROM ledger WHERE at >= ? ORDER BY at",
            (since,),
        ).fetchall()

    def first_line(self, cid: int) -> str:
        row = self.db.execute(
            "SELECT content FROM messages WHERE conversation_id = ? AND role = 'user'"
            " ORDER BY id LIMIT 1",
            (cid,),
        ).fetchone()
        return _first_line(row[0]) if row else ""

    # --- the tool-call audit ----------------------------------------------------------------

    def record_tool_call(
        self,
        cid: int,
        message_id: int | None,
        call_id: str,
        tool: str,
        arguments: str,
        status: str,
        summary: str,
        duration_ms: float,
    ) -> None:
        self.db.execute(
            "INSERT INTO tool_calls (at, conversation_id, message_id, call_id, tool, arguments,"
            " status, summary, duration_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (time.time(), cid, message_id, call_id, tool, arguments, status, summary, duration_ms),
        )

    def tool_calls_of(self, message_id: int) -> list[tuple[str, str, str, str, float]]:
        """(tool, redacted arguments, status, summary, duration ms) of one assistant message."""
        return self.db.execute(
            "SELECT tool, arguments, status, summary, duration_ms FROM tool_calls"
            " WHERE message_id = ? ORDER BY id",
            (message_id,),
        ).fetchall()

    # --- circuit breakers ------------------------------------------------------------------

    def circuit(self, key: str) -> CircuitRow | None:
        row = self.db.execute(
            "SELECT state, failures, opened_at, probe_at FROM circuits WHERE key = ?", (key,)
        ).fetchone()
        return None if row is None else (row[0], row[1], row[2], row[3])

    def update_circuit(
        self, key: str, change: Callable[[CircuitRow | None], CircuitRow]
    ) -> tuple[CircuitRow | None, CircuitRow]:
        """Read, change and write one circuit atomically across processes."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            before = self.circuit(key)
            after = change(before)
            if after != before:
                self.db.execute(
                    "INSERT OR REPLACE INTO circuits (key, state, failures, opened_at, probe_at,"
                    " updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (key, *after, time.time()),
                )
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return before, after
