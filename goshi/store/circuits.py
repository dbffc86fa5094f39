"""Circuit-breaker state, shared by every goshi process through the store."""

from __future__ import annotations

import time
from collections.abc import Callable

from goshi.store.db import Database

CircuitRow = tuple[str, int, float, float]  # state, consecutive failures, opened_at, probe_at


class Circuits(Database):
    def circuit(self, key: str) -> CircuitRow | None:
        row = self.db.execute(
            "SELECT state, failures, opened_at, probe_at FROM circuits WHERE key = ?", (key,)
        ).fetchone()
        return None if row is None else (row[0], row[1], row[2], row[3])

    def update_circuit(
        self, key: str, change: Callable[[CircuitRow | None], CircuitRow]
    ) -> tuple[CircuitRow | None, CircuitRow]:
        """Read, change and write one circuit atomically across processes."""
        with self.writing():
            before = self.circuit(key)
            after = change(before)
            if after != before:
                self.db.execute(
                    "INSERT OR REPLACE INTO circuits (key, state, failures, opened_at, probe_at,"
                    " updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (key, *after, time.time()),
                )
        return before, after
