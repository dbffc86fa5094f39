"""The spend ledger: one row per model request, its cost in integer pico-dollars.

    open(estimate) before the request is sent -> close(real usage) when it answered, or
    drop() when nothing was billed

`goshi cost` adds up in SQL, each sum served by an index that holds the columns it adds (no
row is read into Python, no sort of the range): by kind (model, backend, price rule) over a time
range, by day over day boundaries the caller computed for the user's time zone, by conversation.
Sums of integers in SQLite are exact 64-bit integers: exact to the pico-dollar.

A row still open belongs to a process that was killed before it heard back: it stays counted at
its estimate (marked `~` by `goshi cost`), by the report and by the limits alike. A row is only
ever updated, never added twice, so nothing is counted twice.
"""

from __future__ import annotations

import itertools
import time

from goshi.cost.prices import STANDARD, Applied
from goshi.llm.types import Usage
from goshi.record import record
from goshi.store.db import Database

NARROW = 8  # rows in range under 1/NARROW of the ledger: read them by time (see _range_plan)


@record(slots=True)
class KindSpend:
    """What answers of one kind (model, backend, price rule) cost over a range."""

    model: str
    backend: str
    service_tier: str | None
    long_context: int  # 1: billed at the long-context rate
    region: str | None
    answers: int
    unpriced: int
    estimated: int
    open: int
    pico: int
    prompt_tokens: int
    completion_tokens: int
    first_at: float


@record(slots=True)
class DaySpend:
    """What one day cost (a day as the caller bounded it), and whether an estimate is in it."""

    day: int  # the index of the day in the caller's list of boundaries
    pico: int
    estimated: bool


@record(slots=True)
class ConversationSpend:
    conversation_id: int
    pico: int
    estimated: int


def _tokens(usage: Usage) -> tuple[int, int, int]:
    return usage.prompt_tokens, usage.cached_tokens, usage.completion_tokens


class Ledger(Database):
    def record_spend(
        self,
        cid: int | None,
        backend: str,
        model: str,
        usage: Usage,
        cost_pico: int | None,
        estimated: bool,
        applied: Applied = STANDARD,
        *,
        open_: bool = False,
    ) -> int:
        cur = self.db.execute(
            "INSERT INTO ledger (at, conversation_id, backend, model, prompt_tokens,"
            " cached_tokens, completion_tokens, cost_pico, estimated, service_tier,"
            " long_context, region, open) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                time.time(),
                cid,
                backend,
                model,
                *_tokens(usage),
                cost_pico,
                int(estimated or open_),
                applied.tier,
                int(applied.long_context),
                applied.region,
                int(open_),
            ),
        )
        assert cur.lastrowid is not None
        return cur.lastrowid

    def close_spend(
        self,
        row: int,
        backend: str,
        model: str,
        usage: Usage,
        cost_pico: int | None,
        estimated: bool,
        applied: Applied = STANDARD,
    ) -> None:
        self.db.execute(
            "UPDATE ledger SET backend = ?, model = ?, prompt_tokens = ?, cached_tokens = ?,"
            " completion_tokens = ?, cost_pico = ?, estimated = ?, service_tier = ?,"
            " long_context = ?, region = ?, open = 0 WHERE id = ?",
            (
                backend,
                model,
                *_tokens(usage),
                cost_pico,
                int(estimated),
                applied.tier,
                int(applied.long_context),
                applied.region,
                row,
            ),
        )

    def drop_spend(self, row: int) -> None:
        """The request was refused or failed before anything arrived: nothing to charge."""
        self.db.execute("DELETE FROM ledger WHERE id = ? AND open = 1", (row,))

    def spent(
        self, *, since: float | None = None, cid: int | None = None, besides: int | None = None
    ) -> int:
        """Pico-dollars spent since a time, or in one conversation (open rows at their
        estimate), leaving out the row `besides`."""
        if cid is not None:
            row = self.db.execute(
                "SELECT coalesce(sum(cost_pico), 0) FROM ledger WHERE conversation_id = ?"
                " AND id != ?",
                (cid, besides or 0),
            ).fetchone()
        else:
            row = self.db.execute(
                "SELECT coalesce(sum(cost_pico), 0) FROM ledger WHERE at >= ? AND id != ?",
                (since or 0.0, besides or 0),
            ).fetchone()
        return int(row[0])

    def _range_plan(self, since: float, grouping: str) -> str:
        """How to read the rows since a time for a GROUP BY: when they are a small part of the
        ledger (this month of years), the time index finds them and SQLite sorts those few;
        otherwise the grouping index gives every group in order (nothing sorted) and the range
        is a filter on its entries. SQLite cannot tell the two apart without statistics."""
        total = self.db.execute("SELECT coalesce(max(id), 0) FROM ledger").fetchone()[0]
        few = total // NARROW
        (seen,) = self.db.execute(
            "SELECT count(*) FROM (SELECT 1 FROM ledger WHERE at >= ? LIMIT ?)", (since, few + 1)
        ).fetchone()
        if seen <= few:
            return "ledger INDEXED BY ledger_by_time WHERE at >= ?"
        return f"ledger INDEXED BY {grouping} WHERE +at >= ?"

    def spend_by_kind(self, since: float) -> list[KindSpend]:
        """Every kind of answer since a time, in the order each first appeared."""
        rows = self.db.execute(
            "SELECT model, backend, service_tier, long_context, region, count(*),"
            " sum(cost_pico IS NULL), sum(estimated), sum(open), sum(coalesce(cost_pico, 0)),"
            " sum(prompt_tokens), sum(completion_tokens), min(at)"
            f" FROM {self._range_plan(since, 'ledger_by_kind')}"
            " GROUP BY model, backend, service_tier, long_context, region",
            (since,),
        ).fetchall()
        kinds = [KindSpend(*row) for row in rows]
        return sorted(kinds, key=lambda k: k.first_at)

    def spend_by_day(self, bounds: list[float]) -> list[DaySpend]:
        """The spend of each day from bounds[i] to bounds[i + 1] that has any."""
        self.db.execute(
            "CREATE TEMP TABLE IF NOT EXISTS spend_days"
            " (n INTEGER PRIMARY KEY, start REAL NOT NULL, end REAL NOT NULL)"
        )
        self.db.execute("DELETE FROM temp.spend_days")
        self.db.executemany(
            "INSERT INTO temp.spend_days VALUES (?, ?, ?)",
            ((n, start, end) for n, (start, end) in enumerate(itertools.pairwise(bounds))),
        )
        rows = self.db.execute(
            "SELECT d.n, sum(coalesce(l.cost_pico, 0)), max(l.estimated)"
            " FROM temp.spend_days d JOIN ledger l ON l.at >= d.start AND l.at < d.end"
            " GROUP BY d.n"
        ).fetchall()
        return [DaySpend(n, pico, bool(estimated)) for n, pico, estimated in rows]

    def costliest_conversations(self, since: float, limit: int) -> list[ConversationSpend]:
        """The conversations that cost most since a time (ties: the earlier first)."""
        rows = self.db.execute(
            "SELECT conversation_id, sum(coalesce(cost_pico, 0)) AS pico, sum(estimated)"
            f" FROM {self._range_plan(since, 'ledger_by_conversation')} AND conversation_id != 0"
            " GROUP BY conversation_id ORDER BY pico DESC, min(at) LIMIT ?",
            (since, limit),
        ).fetchall()
        return [ConversationSpend(*row) for row in rows]
