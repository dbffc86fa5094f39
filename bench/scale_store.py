"""A heavy user's store, built in goshi's own schema (bench/scale.py measures commands on it).

    ledger(path, rows, years)    answers spread evenly over the last `years` years, oldest first:
                                 three OpenAI models and an Ollama one, a few price rules, some
                                 estimated, open and unpriced rows, 1,000 conversations
    conversation(path, turns)    one conversation of `turns` question/answer pairs (~400-byte
                                 questions, ~1,100-byte answers of programming prose), every tenth
                                 answer with a tool call, its result and its audit row

The schema comes from goshi.store.Store (its migrations), so the FTS triggers fill the index as
goshi's own writes do. A fixed seed: the same sizes give the same store.
"""

from __future__ import annotations

import json
import random
import sys
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from goshi.store import Store

_VOCABULARY = (
    "git branch commit merge rebase stash diff patch file function class method variable "
    "test error exception trace stack heap memory pointer thread lock queue cache index "
    "query table column row schema migration server client request response header body "
    "token stream socket timeout retry backoff config yaml json parse render terminal shell "
    "python rust docker deploy build release version tag pipeline lint format type module"
)
WORDS = _VOCABULARY.split()
# (backend, model, pico-dollars per prompt token, per completion token)
MODELS = (
    ("openai", "gpt-4o-mini", 150_000, 600_000),
    ("openai", "gpt-4o", 2_500_000, 10_000_000),
    ("openai", "o3-mini", 1_100_000, 4_400_000),
    ("ollama", "llama3.2", 0, 0),
)
DAY = 86_400.0


def _prose(rng: random.Random, size: int) -> str:
    words: list[str] = []
    length = 0
    while length < size:
        sentence = " ".join(rng.choices(WORDS, k=rng.randint(6, 16))).capitalize() + "."
        words.append(sentence)
        length += len(sentence) + 1
    return " ".join(words)


def _ledger_rows(rows: int, years: float, now: float) -> Iterator[tuple[object, ...]]:
    rng = random.Random(24)
    start = now - years * 365 * DAY
    step = (now - 60 - start) / rows
    for i in range(rows):
        backend, model, per_in, per_out = MODELS[rng.randrange(len(MODELS))]
        prompt, completion = rng.randint(200, 20_000), rng.randint(20, 2_000)
        cost: int | None = prompt * per_in + completion * per_out
        kind = rng.random()
        estimated = opened = 0
        if kind < 0.01:
            cost = None  # a model without a price
        elif kind < 0.03:
            estimated = 1
        elif kind < 0.035:
            estimated = opened = 1
        tier = "flex" if kind > 0.97 else None
        long_context = int(0.95 < kind <= 0.96)
        region = "eu" if 0.9 < kind <= 0.92 else None
        yield (
            start + i * step,
            rng.randint(1, 1000),
            backend,
            model,
            prompt,
            rng.randint(0, prompt // 2),
            completion,
            cost,
            estimated,
            tier,
            long_context,
            region,
            opened,
        )


def ledger(path: Path, rows: int, years: float = 3.0) -> None:
    store = Store(path)
    store.db.execute("BEGIN")
    store.db.executemany(
        "INSERT INTO ledger (at, conversation_id, backend, model, prompt_tokens, cached_tokens,"
        " completion_tokens, cost_pico, estimated, service_tier, long_context, region, open)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        _ledger_rows(rows, years, time.time()),
    )
    store.db.execute("COMMIT")
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()


def conversation(path: Path, turns: int) -> int:
    """Adds one conversation of `turns` turns; returns its id."""
    rng = random.Random(turns)
    store = Store(path)
    db = store.db
    at = time.time() - turns * 60
    db.execute("BEGIN")
    cid = store.new_conversation("gpt-4o-mini", "openai", "Be brief.").id
    for turn in range(turns):
        at += 60
        add = "INSERT INTO messages (conversation_id, created_at, role, content, tool_calls,"
        add += " tool_call_id, status, backend, model, prompt_tokens, completion_tokens)"
        add += " VALUES (?, ?, ?, ?, ?, ?, 'ok', ?, ?, ?, ?)"
        db.execute(add, (cid, at, "user", _prose(rng, 400), None, None, None, None, None, None))
        if turn % 10 == 9:
            call = json.dumps([[f"call_{turn}", "read_file", '{"path": "src/main.py"}']])
            cur = db.execute(
                add, (cid, at, "assistant", "", call, None, "openai", "gpt-4o-mini", 900, 30)
            )
            db.execute(
                "INSERT INTO tool_calls (at, conversation_id, message_id, call_id, tool,"
                " arguments, status, summary, duration_ms)"
                " VALUES (?, ?, ?, ?, 'read_file', '{\"path\": \"src/main.py\"}', 'ok',"
                " '120 lines', 1.5)",
                (at, cid, cur.lastrowid, f"call_{turn}"),
            )
            result = _prose(rng, 600)
            db.execute(add, (cid, at, "tool", result, None, f"call_{turn}", None, None, None, None))
        answer = _prose(rng, 1100)
        db.execute(
            add, (cid, at, "assistant", answer, None, None, "openai", "gpt-4o-mini", 1200, 280)
        )
    db.execute("COMMIT")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return cid
