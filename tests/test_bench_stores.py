"""The benchmarks build their stores with goshi's own schema: when a migration changes a table,
their builders must still work (bench/habits.py broke on migration 16, and only a bench run saw
it). Small sizes, the same code."""

from __future__ import annotations

from pathlib import Path

import pytest

from goshi.store import Store

BENCH = Path(__file__).resolve().parent.parent / "bench"


@pytest.fixture(autouse=True)
def bench_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(BENCH))


def test_the_scale_stores_build_and_goshi_reads_them(tmp_path: Path) -> None:
    import scale_store

    scale_store.ledger(tmp_path / "ledger.db", 200, years=1.0)
    cid = scale_store.conversation(tmp_path / "turns.db", 20)
    store = Store(tmp_path / "turns.db")
    assert sum(1 for m in store.messages_of(cid) if m.role == "user") == 20
    store.close()
    store = Store(tmp_path / "ledger.db")
    assert store.db.execute("SELECT count(*) FROM ledger").fetchone()[0] == 200
    store.close()


def test_the_habits_store_builds_and_search_finds_its_rare_word(tmp_path: Path) -> None:
    import habits

    habits.build_store(tmp_path / "habits.db", 500)
    store = Store(tmp_path / "habits.db")
    assert [hit.conversation_id for hit in store.search(habits.RARE, 5)] == [500]
    store.close()
