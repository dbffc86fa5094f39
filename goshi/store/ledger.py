"""The spend ledger: one row per model response, its cost in integer pico-dollars."""

from __future__ import annotations

import time

from goshi.cost.prices import STANDARD, Applied
from goshi.llm.types import Usage
from goshi.store.db import Database

SpendRow = tuple[str, str, str, int, int, int | None, int, str | None, int, str | None]


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
    ) -> None:
        self.db.execute(
            "INSERT INTO ledger (at, conversation_id, backend, model, prompt_tokens,"
            " cached_tokens, completion_tokens, cost_pico, estimated, service_tier,"
            " long_context, region) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                applied.tier,
                int(applied.long_context),
                applied.region,
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

    def spend_rows(self, since: float) -> list[SpendRow]:
        """(local day, backend, model, prompt, completion, cost, conversation, service tier,
        long context, region) since a time."""
        return self.db.execute(
            "SELECT date(at, 'unixepoch', 'localtime'), backend, model, prompt_tokens,"
            " completion_tokens, cost_pico, coalesce(conversation_id, 0), service_tier,"
            " long_context, region FROM ledger WHERE at >= ? ORDER BY at",
            (since,),
        ).fetchall()
