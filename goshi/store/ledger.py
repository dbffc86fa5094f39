"""The spend ledger: one row per model request, its cost in integer pico-dollars.

    open(estimate) before the request is sent -> close(real usage) when it answered, or
    drop() when nothing was billed

A row still open belongs to a process that was killed before it heard back: it stays counted at
its estimate (marked `~` by `goshi cost`), by the report and by the limits alike. A row is only
ever updated, never added twice, so nothing is counted twice.
"""

from __future__ import annotations

import time

from goshi.cost.prices import STANDARD, Applied
from goshi.llm.types import Usage
from goshi.store.db import Database

# (local day, backend, model, prompt, completion, cost, conversation, service tier,
# long context, region, estimated, open)
SpendRow = tuple[str, str, str, int, int, int | None, int, str | None, int, str | None, int, int]


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

    def spend_rows(self, since: float) -> list[SpendRow]:
        """Every ledger row since a time, oldest first (see SpendRow)."""
        return self.db.execute(
            "SELECT date(at, 'unixepoch', 'localtime'), backend, model, prompt_tokens,"
            " completion_tokens, cost_pico, coalesce(conversation_id, 0), service_tier,"
            " long_context, region, estimated, open FROM ledger WHERE at >= ? ORDER BY at",
            (since,),
        ).fetchall()
