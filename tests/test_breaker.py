"""The circuit breaker's state machine, on a real SQLite store, with a clock the test moves."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from goshi.llm.breaker import CLOSED, HALF_OPEN, OPEN, Breaker
from goshi.store import Store


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make(tmp_path: Path, clock: Clock, threshold: int = 3, cooldown: float = 30) -> Breaker:
    return Breaker(Store(tmp_path / "g.db"), "openai http://x/v1", threshold, cooldown, clock)


def test_opens_after_threshold_consecutive_failures(tmp_path: Path) -> None:
    clock = Clock()
    b = make(tmp_path, clock)
    assert b.failure() is None and b.failure() is None
    assert b.peek().state == CLOSED and b.allow() == (True, None)
    assert b.failure() == "circuit open after 3 failures"
    assert b.peek().state == OPEN
    assert b.allow() == (False, None)
    clock.now += 29
    assert b.allow() == (False, None)
    assert b.seconds_until_half_open(b.peek()) == 1.0


def test_a_success_resets_the_count(tmp_path: Path) -> None:
    b = make(tmp_path, Clock())
    b.failure()
    b.failure()
    assert b.success() is None
    b.failure()
    b.failure()
    assert b.peek().state == CLOSED and b.peek().failures == 2


def test_half_open_lets_one_probe_through_and_success_closes(tmp_path: Path) -> None:
    clock = Clock()
    b = make(tmp_path, clock, threshold=1)
    b.failure()
    clock.now += 30
    assert b.allow() == (True, "circuit half-open: one request probes it")
    other = Breaker(Store(tmp_path / "g.db"), b.key, 1, 30, clock)  # another process
    assert other.allow() == (False, None)
    assert b.success() == "circuit closed again"
    assert other.peek().state == CLOSED and other.allow() == (True, None)


def test_a_failed_probe_reopens_for_another_cooldown(tmp_path: Path) -> None:
    clock = Clock()
    b = make(tmp_path, clock, threshold=2, cooldown=10)
    b.failure()
    b.failure()
    clock.now += 10
    assert b.allow()[0] is True and b.peek().state == HALF_OPEN
    clock.now += 2
    assert b.failure() == "circuit open after 3 failures"
    assert b.peek().opened_at == clock.now
    clock.now += 9
    assert b.allow() == (False, None)
    clock.now += 1
    assert b.allow()[0] is True


def test_a_probe_that_never_reports_expires(tmp_path: Path) -> None:
    clock = Clock()
    b = make(tmp_path, clock, threshold=1, cooldown=5)
    b.failure()
    clock.now += 5
    assert b.allow()[0] is True  # this process dies without reporting
    clock.now += 4
    assert b.allow() == (False, None)
    clock.now += 1
    assert b.allow()[0] is True


def test_circuits_are_keyed_by_backend_and_url(tmp_path: Path) -> None:
    clock = Clock()
    store = Store(tmp_path / "g.db")
    a = Breaker(store, "openai http://a/v1", 1, 30, clock)
    other = Breaker(store, "openai http://b/v1", 1, 30, clock)
    a.failure()
    assert a.peek().state == OPEN and other.peek().state == CLOSED


WORKER = """
import sys
from goshi.llm.breaker import Breaker
from goshi.store import Store
b = Breaker(Store(__import__("pathlib").Path(sys.argv[1])), "k", 10**9, 30)
for _ in range(int(sys.argv[2])):
    b.failure()
"""


def test_concurrent_processes_lose_no_update(tmp_path: Path) -> None:
    db = tmp_path / "g.db"
    # no Store(db) first: the processes also race to create and migrate the database
    procs = [
        subprocess.Popen([sys.executable, "-c", WORKER, str(db), "40"], start_new_session=True)
        for _ in range(6)
    ]
    assert [p.wait(timeout=60) for p in procs] == [0] * 6
    b = Breaker(Store(db), "k", 10**9, 30)
    assert b.peek().failures == 240
