"""Conversations and their messages: what was asked, what answered, in order.

A question is saved *before* it is sent (status `pending`), so a failure never loses the
user's turn. An answer names its question (`question_id`), and a conversation reads in the
order of its questions (IN_ORDER): when several processes answer questions of one conversation
at once, each answer still follows its own question. What a question is sent with is the
conversation as it stood when it was stored, without the questions other processes are still
answering (`history(question=)`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import field

from goshi.credentials import unstored
from goshi.errors import UsageError
from goshi.llm.types import Image, Message, ToolCall, Usage
from goshi.record import record
from goshi.store.db import Database

# Message status: the question is `pending` until answered (`ok`) or failed (`failed`);
# an answer is `ok`, or `interrupted` when Ctrl-C or a cut stream left only part of it, or
# `superseded` when /retry asked again. `ok` and `interrupted` are sent, and of the `pending`
# questions only the one being asked (the others are other processes' to answer, or were lost
# with a process killed outright).
SENDABLE = ("ok", "interrupted", "pending")
# A conversation's order: question by question (an answer's question_id, a question's own id;
# rows stored before migration 12 have no question_id, and their id order is this order).
TURN = "coalesce(question_id, id)"
IN_ORDER = f"{TURN}, id"
# One write transaction of `history rm`: a message leaves the search index by its rowid
# (migration 15), ~5 ms for 1,000 messages; but what is deleted is overwritten (secure_delete:
# goshi/store/db.py), ~6 ms a MB, so a batch holds at most DELETE_BATCH_BYTES of text too
# (1,000 tool outputs of 55 KB in one held the write lock 300 ms).
DELETE_BATCH_MESSAGES = 1000
DELETE_BATCH_BYTES = 4 << 20
# The pause after each batch, as a share of the batch's time, at most DELETE_PAUSE_MAX_S, when
# another process has the store open (goshi/store/lockpeek.py): on a loaded 2-core machine an
# ask's longest wait was 0.26-0.85 s with no pause, 0.16-0.24 s with these. Alone, no pause.
DELETE_PAUSE = 0.5
DELETE_PAUSE_MAX_S = 0.05


@record(slots=True)
class Conversation:
    """A stored conversation."""

    id: int
    created_at: float
    model: str
    backend: str  # the backend setting asked with (auto, openai, ollama)
    system: str | None
    model_backend: str | None = None  # whose model `model` is: openai or ollama (None: unknown)


@record(slots=True)
class ConversationSummary:
    """A conversation as `goshi history` lists it."""

    id: int
    created_at: float
    model: str
    turns: int
    cost_pico: int
    first_line: str


@record(slots=True)
class StoredMessage:
    """A stored message of a conversation."""

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
    finish_reason: str | None = None
    refusal: bool = False
    reasoning: str = ""
    attached: list[str] = field(default_factory=list)  # the names of the files sent with it


def _attachments(names: list[str], images: list[Image]) -> str | None:
    """The attachments column: every attached file's name, and the images' bytes."""
    if not names and not images:
        return None
    return json.dumps({"names": names, "images": [[i.name, i.mime, i.data] for i in images]})


def _attached(column: str | None) -> tuple[list[str], list[Image]]:
    if not column:
        return [], []
    data = json.loads(column)
    return list(data["names"]), [Image(*i) for i in data["images"]]


def _first_line(text: str) -> str:
    return (text.strip().splitlines() or [""])[0]


def _batches(rows: list[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    """(newest id, oldest id) of runs of messages, newest first, each of at most
    DELETE_BATCH_MESSAGES messages and about DELETE_BATCH_BYTES of text."""
    size = count = 0
    newest = None
    for row_id, length in rows:
        if newest is None:
            newest = row_id
        size += length
        count += 1
        if size >= DELETE_BATCH_BYTES or count >= DELETE_BATCH_MESSAGES:
            yield newest, row_id
            newest, size, count = None, 0, 0
    if newest is not None:
        yield newest, rows[-1][0]


class Conversations(Database):
    def new_conversation(
        self, model: str, backend: str, system: str | None, model_backend: str | None = None
    ) -> Conversation:
        now = time.time()
        cur = self.db.execute(
            "INSERT INTO conversations (created_at, model, backend, system, model_backend)"
            " VALUES (?, ?, ?, ?, ?)",
            (now, model, backend, system, model_backend),
        )
        assert cur.lastrowid is not None
        return Conversation(cur.lastrowid, now, model, backend, system, model_backend)

    def conversation(self, cid: int) -> Conversation:
        row = self.db.execute(
            "SELECT id, created_at, model, backend, system, model_backend FROM conversations"
            " WHERE id = ?",
            (cid,),
        ).fetchone()
        if row is None:
            raise UsageError(f"no conversation {cid}", "list them with `goshi history`")
        return Conversation(*row)

    def last_conversation(self) -> Conversation | None:
        row = self.db.execute("SELECT max(id) FROM conversations").fetchone()
        return None if row[0] is None else self.conversation(row[0])

    def set_route(self, cid: int, backend: str, model: str, model_backend: str) -> None:
        """The backend setting and model a conversation last asked with, and whose model that
        is (a resume takes them: goshi/turn/resume.py)."""
        self.db.execute(
            "UPDATE conversations SET backend = ?, model = ?, model_backend = ? WHERE id = ?",
            (backend, model, model_backend, cid),
        )

    def last_exchange(self, cid: int) -> tuple[str, str] | None:
        """The last question sent and its answer (every round's text, as `ask` printed it)."""
        last = self.db.execute(
            "SELECT max(id) FROM messages WHERE conversation_id = ? AND role = 'user'"
            " AND status IN (?, ?, ?)",
            (cid, *SENDABLE),
        ).fetchone()[0]
        rows = self.db.execute(  # its answers name it (rows from before migration 12 follow it)
            "SELECT role, content FROM messages WHERE conversation_id = ?1"
            " AND status IN (?2, ?3, ?4) AND role IN ('user', 'assistant')"
            f" AND ({TURN} = ?5 OR (question_id IS NULL AND id > ?5)) ORDER BY {IN_ORDER}",
            (cid, *SENDABLE, last),
        ).fetchall()
        if not rows:
            return None
        answer = "\n\n".join(text for role, text in rows[1:] if role == "assistant" and text)
        return rows[0][1], answer

    def set_system(self, cid: int, system: str | None) -> None:
        self.db.execute("UPDATE conversations SET system = ? WHERE id = ?", (system, cid))

    def delete_conversation(self, cid: int) -> None:
        """Removes a conversation in short write transactions, so a goshi that waits to write
        (an ask storing its question) waits for one batch, never for the whole conversation.
        The newest messages go first: a removal cut short leaves the
        conversation's beginning, which reads and continues as a shorter conversation."""
        self.conversation(cid)  # raises for an unknown id
        rows = self.db.execute(  # octet_length: the size in the row's header, no text read
            "SELECT id, coalesce(octet_length(content), 0) FROM messages"
            " WHERE conversation_id = ? ORDER BY id DESC",
            (cid,),
        ).fetchall()
        for newest, oldest in _batches(rows):
            started = time.monotonic()
            with self.writing():
                self.db.execute(
                    "DELETE FROM messages WHERE conversation_id = ? AND id BETWEEN ? AND ?",
                    (cid, oldest, newest),
                )
            # SQLite does not queue writers: one that waits polls (1, 2, 5, 10 ... 100 ms
            # apart), so the lock is let go long enough for a poll to find it free, when
            # another process has the store open to write at all
            if self.shared():
                time.sleep(min(DELETE_PAUSE_MAX_S, (time.monotonic() - started) * DELETE_PAUSE))
        # the rest (messages added meanwhile) and the compactions go with the row
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
        return list(self.messages_of(cid))

    def messages_of(self, cid: int) -> Iterator[StoredMessage]:
        """The same, one message at a time as SQLite reads it: an export of any length holds
        one message in memory."""
        rows = self.db.execute(
            "SELECT id, created_at, role, content, tool_calls, tool_call_id, status, backend,"
            " model, prompt_tokens, completion_tokens, finish_reason, refusal, reasoning,"
            " attachments FROM messages"
            f" WHERE conversation_id = ? ORDER BY {IN_ORDER}",
            (cid,),
        )
        try:
            for r in rows:
                yield StoredMessage(
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
                    r[11],
                    bool(r[12]),
                    r[13] or "",
                    _attached(r[14])[0],
                )
        finally:
            rows.close()  # an export cut short (a closed pipe) ends its read at once

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
        finish_reason: str | None = None,
        refusal: bool = False,
        question_id: int | None = None,
        attached: list[str] | None = None,
    ) -> int:
        """Store a message; an answer's `question_id` is the question it answers."""
        calls = (
            json.dumps([[c.id, c.name, unstored(c.arguments)] for c in message.tool_calls])
            if message.tool_calls
            else None
        )
        cur = self.db.execute(
            "INSERT INTO messages (conversation_id, created_at, role, content, tool_calls,"
            " tool_call_id, status, backend, model, prompt_tokens, completion_tokens,"
            " cached_tokens, finish_reason, refusal, reasoning, question_id, attachments)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                cid,
                time.time(),
                message.role,
                unstored(message.content),
                calls,
                message.tool_call_id,
                status,
                backend,
                model,
                usage.prompt_tokens if usage else None,
                usage.completion_tokens if usage else None,
                usage.cached_tokens if usage else None,
                finish_reason,
                int(refusal),
                unstored(message.reasoning) or None,
                question_id,
                _attachments(attached or [], message.images),
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
            "UPDATE messages SET status = 'superseded'"
            f" WHERE conversation_id = ? AND id > ? AND {TURN} >= ?",
            (cid, row[0], row[0]),
        )
        self.db.execute("UPDATE messages SET status = 'pending' WHERE id = ?", (row[0],))
        return int(row[0])

    def set_status(self, message_id: int, status: str) -> None:
        self.db.execute("UPDATE messages SET status = ? WHERE id = ?", (status, message_id))

    def history(self, cid: int, after_id: int = 0, question: int | None = None) -> list[Message]:
        """The messages worth sending again when a conversation continues, in order: those
        after message `after_id` (a compaction stands for the earlier ones), without the
        questions still pending other than `question` (other processes are answering them),
        nor what those have answered so far."""
        mark = self.db.execute(
            f"SELECT {TURN}, id FROM messages WHERE id = ?", (after_id,)
        ).fetchone()
        rows = self.db.execute(
            "SELECT id, role, content, tool_calls, tool_call_id, reasoning, attachments"
            " FROM messages"
            f" WHERE conversation_id = ?1 AND status IN (?2, ?3, ?4) AND ({TURN}, id) > (?5, ?6)"
            f" AND {TURN} NOT IN (SELECT id FROM messages WHERE conversation_id = ?1"
            "  AND role = 'user' AND status = 'pending' AND id IS NOT ?7)"
            f" ORDER BY {IN_ORDER}",
            (cid, *SENDABLE, *(mark or (0, 0)), question),
        ).fetchall()
        names: dict[str, str] = {}  # tool call id -> tool name, for the results (Ollama wants it)
        out = []
        for row_id, role, content, calls, call_id, reasoning, attachments in rows:
            tool_calls = [ToolCall(*c) for c in json.loads(calls)] if calls else []
            names.update((c.id, c.name) for c in tool_calls)
            name = names.get(call_id) if call_id else None
            images = _attached(attachments)[1]
            out.append(
                Message(role, content, tool_calls, call_id, name, reasoning or "", images, row_id)
            )
        return out

    def first_line(self, cid: int) -> str:
        row = self.db.execute(
            "SELECT content FROM messages WHERE conversation_id = ? AND role = 'user'"
            " ORDER BY id LIMIT 1",
            (cid,),
        ).fetchone()
        return _first_line(row[0]) if row else ""
