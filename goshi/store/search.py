"""Full-text search over every question and answer: the `messages_fts` index (SQLite FTS5,
its own migration), kept in step with `messages` by triggers, so nothing here writes.

    text -> each word quoted (quotes, AND, *, - and the like are words, never FTS syntax)
    -> the newest RANKED matching messages ranked by bm25 -> the best message of each
    conversation -> a snippet with the matches between START and END
"""

from __future__ import annotations

from goshi.errors import UsageError
from goshi.record import record
from goshi.store.db import Database
from goshi.store.migrations import TOKENIZER

# Match marks inside FTS snippets (private-use characters): a message that holds them itself
# only gets odd marks; whoever shows a snippet sanitises every part between them.
START, END = "\ue000", "\ue001"
SNIPPET_TOKENS = 16
RANKED = 2000  # the newest matching messages that are ranked (see Search.search)
MAX_TERMS = 32


@record(slots=True)
class Hit:
    conversation_id: int
    message_id: int
    role: str
    created_at: float
    first_line: str
    snippet: str  # the matches between START and END
    rank: float


def match_expression(text: str) -> str:
    """Every word as an FTS5 string: all must occur, in any order, nothing is an operator."""
    words = text.split()[:MAX_TERMS]
    if not words:
        raise UsageError("search for what?", 'e.g. goshi history search "rebase"')
    return " ".join('"' + word.replace('"', '""') + '"' for word in words)


class Search(Database):
    def search(self, text: str, limit: int) -> list[Hit]:
        """The `limit` best conversations for `text`, best first, each with its best message."""
        query = match_expression(text)
        # bm25 costs some microseconds a message: a word in 50,000 messages would take a quarter of
        # a second to rank, so only the newest RANKED matching messages are ranked (finding them
        # walks the index in rowid order, which costs next to nothing).
        floor = self.db.execute(
            "SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?"
            " ORDER BY rowid DESC LIMIT 1 OFFSET ?",
            (query, RANKED - 1),
        ).fetchone()
        best: dict[int, tuple[int, float]] = {}  # conversation -> (message, rank)
        rows = self.db.execute(
            "SELECT m.conversation_id, f.rowid, bm25(messages_fts) AS score FROM messages_fts f"
            " JOIN messages m ON m.id = f.rowid WHERE messages_fts MATCH ? AND f.rowid >= ?"
            " ORDER BY score, f.rowid DESC",
            (query, floor[0] if floor else 0),
        )
        for cid, mid, rank in rows:
            if cid not in best:
                best[cid] = (mid, rank)
                if len(best) >= limit:
                    break
        rows.close()
        if not best:
            return []
        ids = [mid for mid, _ in best.values()]
        marks = ",".join("?" * len(ids))
        snippets = self._snippets(query, ids)
        about = {
            mid: (role, at, first)
            for mid, role, at, first in self.db.execute(
                "SELECT m.id, m.role, m.created_at, (SELECT q.content FROM messages q"
                " WHERE q.conversation_id = m.conversation_id AND q.role = 'user'"
                f" ORDER BY q.id LIMIT 1) FROM messages m WHERE m.id IN ({marks})",
                ids,
            )
        }
        hits = []
        for cid, (mid, rank) in best.items():
            if mid not in about:
                continue  # removed meanwhile (`history rm` in another process)
            role, at, first = about[mid]
            line = (first or "").strip().split("\n", 1)[0]
            hits.append(Hit(cid, mid, role, at, line, snippets.get(mid, ""), rank))
        return hits

    def _snippets(self, query: str, ids: list[int]) -> dict[int, str]:
        """The matches of each message with the words around them. The index keeps no text (a
        message leaves it by its rowid: migration 15), so the few messages shown are indexed
        again in a table of this connection's own, which SQLite keeps in memory."""
        marks = ",".join("?" * len(ids))
        self.db.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.shown_fts"
            f" USING fts5(content, tokenize='{TOKENIZER}')"
        )
        try:
            self.db.execute(
                "INSERT INTO temp.shown_fts (rowid, content)"
                f" SELECT id, content FROM messages WHERE id IN ({marks})",
                ids,
            )
            return dict(
                self.db.execute(
                    f"SELECT rowid, snippet(shown_fts, 0, ?, ?, '…', {SNIPPET_TOKENS})"
                    " FROM temp.shown_fts WHERE shown_fts MATCH ?",
                    (START, END, query),
                ).fetchall()
            )
        finally:
            self.db.execute("DELETE FROM temp.shown_fts")
