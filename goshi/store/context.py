"""What the context keeper (goshi/turn/keeper.py) remembers: facts learned about a model on a server
(its context window, tokens per byte-bound token) and where a conversation's sent view was
compacted. A compaction never changes the stored messages: it says that the messages up to
`upto_message_id` are sent as a summary (or left out), and `history show` marks the place."""

from __future__ import annotations

import time

from goshi.credentials import unstored
from goshi.record import record
from goshi.store.db import Database


@record(frozen=True, slots=True)
class Compaction:
    id: int
    at: float
    upto_message_id: int
    strategy: str  # summarize | drop
    turns: int  # turns folded so far, this compaction's and the earlier ones'
    summary: str | None
    tokens: int  # the summary's size (estimated tokens); 0 for drop
    cost_pico: int | None


class ContextRecords(Database):
    def model_fact(self, server: str, model: str, fact: str) -> tuple[float | None, float] | None:
        """(value, updated_at) of a fact; value None: looked for and not found."""
        row = self.db.execute(
            "SELECT value, updated_at FROM model_facts WHERE server = ? AND model = ? AND fact = ?",
            (server, model, fact),
        ).fetchone()
        return None if row is None else (row[0], row[1])

    def set_model_fact(self, server: str, model: str, fact: str, value: float | None) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO model_facts (server, model, fact, value, updated_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (server, model, fact, value, time.time()),
        )

    def add_compaction(
        self,
        cid: int,
        upto_message_id: int,
        strategy: str,
        turns: int,
        summary: str | None,
        tokens: int,
        cost_pico: int | None,
    ) -> None:
        self.db.execute(
            "INSERT INTO compactions (conversation_id, at, upto_message_id, strategy, turns,"
            " summary, tokens, cost_pico) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                cid,
                time.time(),
                upto_message_id,
                strategy,
                turns,
                unstored(summary) if summary else summary,
                tokens,
                cost_pico,
            ),
        )

    def compactions(self, cid: int) -> list[Compaction]:
        rows = self.db.execute(
            "SELECT id, at, upto_message_id, strategy, turns, summary, tokens, cost_pico"
            " FROM compactions WHERE conversation_id = ? ORDER BY id",
            (cid,),
        ).fetchall()
        return [Compaction(*row) for row in rows]

    def last_compaction(self, cid: int) -> Compaction | None:
        row = self.db.execute(
            "SELECT id, at, upto_message_id, strategy, turns, summary, tokens, cost_pico"
            " FROM compactions WHERE conversation_id = ? ORDER BY id DESC LIMIT 1",
            (cid,),
        ).fetchone()
        return None if row is None else Compaction(*row)
