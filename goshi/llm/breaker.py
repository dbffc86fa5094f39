"""A circuit breaker whose state lives in goshi's store, so every process shares it.

    closed --failure_threshold consecutive failures--> open
    open --cooldown_s later, the first caller takes the probe--> half_open
    half_open --the probe succeeds--> closed
    half_open --the probe fails--> open, for another cooldown

A probe whose process died without reporting expires after cooldown_s; the next caller probes.
Only transient failures count (the selector decides which); every transition is reported back as
one sentence for stderr and the log.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from goshi.record import record, replace
from goshi.store import Store
from goshi.words import counted

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"


@record(frozen=True, slots=True)
class Circuit:
    """One backend's circuit as stored: its state and failure count."""

    state: str = CLOSED
    failures: int = 0
    opened_at: float = 0.0
    probe_at: float = 0.0


class Breaker:
    def __init__(
        self,
        store: Store,
        key: str,
        threshold: int,
        cooldown_s: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.key = key
        self.threshold = threshold
        self.cooldown_s = cooldown_s
        self.clock = clock

    def peek(self) -> Circuit:
        return Circuit(*row) if (row := self.store.circuit(self.key)) else Circuit()

    def seconds_until_half_open(self, circuit: Circuit) -> float:
        if circuit.state != OPEN:
            return 0.0
        return max(0.0, circuit.opened_at + self.cooldown_s - self.clock())

    def allow(self) -> tuple[bool, str | None]:
        """May a request go through now? (and the transition this caused, if any)"""
        if self.peek().state == CLOSED:  # the common case needs no write lock
            return True, None
        now = self.clock()
        decision: list[bool] = []

        def change(c: Circuit) -> Circuit:
            if c.state == CLOSED:
                decision.append(True)
                return c
            probe_due = c.opened_at if c.state == OPEN else c.probe_at
            if now - probe_due >= self.cooldown_s:
                decision.append(True)
                return replace(c, state=HALF_OPEN, probe_at=now)
            decision.append(False)
            return c

        before, after = self._update(change)
        moved = after.state == HALF_OPEN and before.state == OPEN
        return decision[0], "circuit half-open: one request probes it" if moved else None

    def success(self) -> str | None:
        if self.peek() == Circuit():  # the common case needs no write lock
            return None
        before, _ = self._update(lambda c: Circuit())
        return "circuit closed again" if before.state != CLOSED else None

    def failure(self) -> str | None:
        now = self.clock()

        def change(c: Circuit) -> Circuit:
            failures = c.failures + 1
            if c.state == HALF_OPEN or (c.state == CLOSED and failures >= self.threshold):
                return Circuit(OPEN, failures, opened_at=now)
            return replace(c, failures=failures)

        before, after = self._update(change)
        if after.state == OPEN and before.state != OPEN:
            return f"circuit open after {counted(after.failures, 'failure')}"
        return None

    def _update(self, change: Callable[[Circuit], Circuit]) -> tuple[Circuit, Circuit]:
        def on_row(row: tuple[str, int, float, float] | None) -> tuple[str, int, float, float]:
            new = change(Circuit(*row) if row else Circuit())
            return (new.state, new.failures, new.opened_at, new.probe_at)

        before, after = self.store.update_circuit(self.key, on_row)
        return (Circuit(*before) if before else Circuit()), Circuit(*after)
