"""How long recording one answer in the ledger takes (run by bench/run.py in a fresh process).

Times what one answer costs the ledger, Meter.open (the row at the estimate, before sending) plus
Meter.charge (price lookup, conversation spend, the row closed, warn check), against a ledger that
already holds 20,000 answers, next to the floor: one bare sqlite3 INSERT into the same table.
Prints JSON: first charge in the process (loads the price table), then medians and p95, in ms.
"""

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from goshi.config import Settings
from goshi.cost.meter import Meter
from goshi.llm.types import Message, Usage
from goshi.store import Store
from goshi.store.engine import sqlite3

with tempfile.TemporaryDirectory() as tmp:
    db = Path(tmp) / "goshi.db"
    store = Store(db)
    for i in range(20_000):
        store.record_spend(i % 300, "openai", "gpt-4o-mini", Usage(900, 300), 225_000_000, False)
    meter = Meter(Settings(), store, 7)
    messages = [Message("user", "hi")]
    t = time.perf_counter()
    meter.charge("openai", "gpt-4o-mini-2024-07-18", Usage(1000, 500, 200), messages, "x")
    first = time.perf_counter() - t
    charge, bare = [], []
    raw = sqlite3.connect(db, isolation_level=None)
    raw.execute("PRAGMA synchronous=NORMAL")
    for _ in range(300):
        t = time.perf_counter()
        entry = meter.open("openai", "gpt-4o-mini", messages)
        meter.charge(
            "openai", "gpt-4o-mini-2024-07-18", Usage(1000, 500, 200), messages, "x", entry=entry
        )
        charge.append(time.perf_counter() - t)
        t = time.perf_counter()
        raw.execute(
            "INSERT INTO ledger (at, conversation_id, backend, model, prompt_tokens,"
            " cached_tokens, completion_tokens, cost_pico, estimated)"
            " VALUES (?, 7, 'openai', 'gpt-4o-mini', 1000, 200, 500, 435000000, 0)",
            (time.time(),),
        )
        bare.append(time.perf_counter() - t)

    def p95(xs: list[float]) -> float:
        return sorted(xs)[int(len(xs) * 0.95)] * 1000

    json.dump(
        {
            "first_ms": first * 1000,
            "charge_median_ms": statistics.median(charge) * 1000,
            "charge_p95_ms": p95(charge),
            "bare_insert_median_ms": statistics.median(bare) * 1000,
        },
        sys.stdout,
    )
