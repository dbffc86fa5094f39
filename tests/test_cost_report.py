"""`goshi cost` over a ledger written by goshi's own store: sums exact to the pico-dollar, local
days (time zone and DST) as the user lives them, and every sum served by an index."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from goshi.cost.meter import cost_of
from goshi.cost.prices import STANDARD, Applied, load_table, resolve
from goshi.llm.types import Usage
from goshi.store import Store
from goshi.store.engine import sqlite3

NY = ZoneInfo("America/New_York")  # DST began 2024-03-10 at 02:00 local
# From goshi/data/prices.json, per 1M tokens: gpt-4o-mini $0.15 in, $0.075 cached in, $0.60 out;
# gpt-4o $2.50 in, $10.00 out. In pico-dollars (10^-12 USD) per answer:
MINI_PICO = 800 * 150_000 + 200 * 75_000 + 500 * 600_000  # Usage(1000, 500, 200): 435,000,000
FOUR_O_PICO = 3_000 * 2_500_000 + 1_000 * 10_000_000  # Usage(3000, 1000): 17,500,000,000
MANY = 7_001  # 7,001 x $0.000435: a float sum of the per-answer dollars drifts off $3.045435


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=NY).timestamp()


def spend(
    store: Store,
    when: str,
    cid: int,
    model: str,
    usage: Usage,
    *,
    estimated: bool = False,
    applied: Applied = STANDARD,
) -> None:
    pricing = resolve(model, "openai", load_table(), {})
    assert pricing is not None
    row = store.record_spend(
        cid, "openai", model, usage, cost_of(usage, pricing.rate()), estimated, applied
    )
    store.db.execute("UPDATE ledger SET at = ? WHERE id = ?", (at(when), row))


def copies(store: Store, n: int) -> None:
    """n more rows like the last one goshi's store wrote (7,000 record_spend calls took ~3 s)."""
    columns = ", ".join(
        row[1] for row in store.db.execute("PRAGMA table_info(ledger)") if row[1] != "id"
    )
    store.db.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)"
        f" INSERT INTO ledger ({columns}) SELECT {columns} FROM n,"
        " (SELECT * FROM ledger ORDER BY id DESC LIMIT 1)",
        (n,),
    )


def ledger(home: Path) -> Store:
    store = Store(home / "data" / "goshi" / "goshi.db")
    store.db.execute("BEGIN")
    spend(store, "2024-03-09T23:30", 1, "gpt-4o-mini", Usage(1000, 500, 200))
    copies(store, MANY - 1)
    # the day DST began: 00:30 EST and 23:30 EDT are both March 10th; 00:30 EDT is the 11th
    spend(store, "2024-03-10T00:30", 2, "gpt-4o", Usage(3000, 1000))
    spend(store, "2024-03-10T23:30", 2, "gpt-4o", Usage(3000, 1000), estimated=True)
    spend(store, "2024-03-11T00:30", 3, "gpt-4o", Usage(3000, 1000), applied=Applied("flex"))
    spend(store, "2024-02-29T12:00", 4, "gpt-4o", Usage(3000, 1000))  # before --since
    store.db.execute("COMMIT")
    return store


def test_cost_sums_are_exact_to_the_pico_dollar_in_local_days(goshi, home: Path) -> None:
    mini = resolve("gpt-4o-mini", "openai", load_table(), {})
    assert mini is not None and cost_of(Usage(1000, 500, 200), mini.rate()) == MINI_PICO
    ledger(home).close()
    r = goshi("cost", "--since", "2024-03-01", "--json", TZ="America/New_York")
    assert r.code == 0, r.stderr
    report = json.loads(r.stdout)
    total = MANY * MINI_PICO + 3 * FOUR_O_PICO  # 3,097,935,000,000
    assert report["total_usd"] == 3.097935
    assert report["answers"] == MANY + 3
    assert report["estimated_answers"] == 1
    assert report["by_day"] == {
        "2024-03-09": MANY * MINI_PICO / 1e12,  # 3.045435
        "2024-03-10": 2 * FOUR_O_PICO / 1e12,  # 0.035
        "2024-03-11": FOUR_O_PICO / 1e12,  # 0.0175
    }
    assert report["by_model"]["gpt-4o-mini"]["usd"] == 3.045435
    assert report["by_model"]["gpt-4o"] == {
        "usd": 0.0525,
        "answers": 3,
        "prompt_tokens": 9000,
        "completion_tokens": 3000,
        "estimated_answers": 1,
    }
    assert report["by_backend"]["openai"]["usd"] == total / 1e12
    assert report["by_rule"]["service_tier"] == {"flex": 0.0175, "standard": 3.080435}
    top = [(c["id"], c["usd"], c["estimated_answers"]) for c in report["top_conversations"]]
    assert top == [(1, 3.045435, 0), (2, 0.035, 1), (3, 0.0175, 0)]


def test_the_text_report_marks_estimates_and_names_the_price_rule(goshi, home: Path) -> None:
    ledger(home).close()
    r = goshi("cost", "--since", "2024-03-10", TZ="America/New_York")
    assert r.code == 0, r.stderr
    assert "since 2024-03-10: ~$0.0525 in 3 answers\n" in r.stdout
    assert "  service_tier flex" in r.stdout
    assert "\n  #2          ~$0.0350  \n  #3           $0.0175  \n" in r.stdout


def plans(store: Store, home: Path, since: float) -> list[str]:
    """SQLite's plan of each GROUP BY `goshi cost` runs from `since`."""
    traced: list[str] = []
    store.db.set_trace_callback(traced.append)
    store.spend_by_kind(since)
    store.spend_by_day([since, at("2024-03-10T00:00"), float("inf")])
    store.costliest_conversations(since, 5)
    store.db.set_trace_callback(None)
    queries = [q for q in traced if "GROUP BY" in q]
    assert len(queries) == 3
    db = sqlite3.connect(home / "data" / "goshi" / "goshi.db")
    db.execute("CREATE TEMP TABLE spend_days (n INTEGER PRIMARY KEY, start REAL, end REAL)")
    return [" / ".join(row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {q}")) for q in queries]


def test_a_report_over_years_reads_indexes_in_group_order_and_sorts_nothing(home: Path) -> None:
    for plan in plans(ledger(home), home, 0.0):
        assert "COVERING INDEX ledger_by_" in plan, plan
        assert "TEMP B-TREE FOR GROUP BY" not in plan, plan


def test_a_report_over_a_few_days_reads_only_their_rows_by_time(home: Path) -> None:
    for plan in plans(ledger(home), home, at("2024-03-10T00:00")):
        assert "INDEX ledger_by_time (at>?" in plan, plan
