"""A seeded fuzz of whole turns: `goshi ask` against a hostile server and hostile tool arguments,
over loopback and the real store. The server sends usage that is negative, huge, `1e999`, text or
a list; model names that are numbers, empty, 5,000 characters or escape codes; content as lists of
parts and emoji split between surrogate halves; tool calls with odd indices and arguments that are
broken JSON, wrong types, hostile regexes, paths out of the workspace, a symlink loop, a hard link
and a file that is not UTF-8; and streams cut mid-answer.

Each run: no traceback, a documented exit code, stdout holds what the store kept, every stored
tool call has its result, and every ledger row is closed, not negative, priced exactly from what
the server reported or marked estimated. After the runs, `goshi cost --json` equals the ledger.
The full 200 runs are `--slow`; a seeded sample of 12 runs by default.
"""

from __future__ import annotations

import os
import random
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from goshi.cost.meter import PICO
from goshi.llm.types import Usage
from goshi.store.engine import sqlite3
from tests.conftest import GOSHI
from tests.faults import cost_json, mini_pico
from tests.wire_server import (
    HOSTILE_MODELS,
    HOSTILE_USAGE,
    WireServer,
    hostile_stream,
    hostile_text,
    openai_stream,
)

RUNS = 200
SAMPLE = range(0, RUNS, 17)  # 12 seeds spread over the 200
DEFAULT_USAGE = (1, 1)  # what the server answers when a run's replies are used up (a retry)
HOSTILE_ARGS = [
    '{"path": 42}',
    '{"path": "notes.txt", "start_line": "abc"}',
    '{"path": "notes.txt", "start_line": 1e999}',
    '{"path": "notes.txt", "end_line": 99999999999999999999999}',
    "[" * 5000,
    "not json at all",
    "{}",
    '{"pattern": "(a+)+$"}',
    '{"pattern": "a{100000}"}',
    '{"pattern": "' + "(" * 2000 + '"}',
    '{"pattern": "(x)\\\\1"}',
    '{"path": "../../../etc/passwd"}',
    '{"path": "loop"}',
    '{"path": "linked.txt"}',
    '{"path": "latin1.txt", "content": "rewritten"}',
    '{"path": ".", "recursive": "yes"}',
    '{"path": "notes.txt"}',
    '{"pattern": "beta", "glob": 7}',
]
TOOLS = ["read_file", "list_dir", "search", "write_file", "no_such_tool"]
CODES = {0, 5, 8}  # answered; cut mid-answer (kept); cut or empty as the server said


@dataclass
class Plan:
    replies: list[Any] = field(default_factory=list)
    valid: set[tuple[int, int]] = field(default_factory=lambda: {DEFAULT_USAGE})
    calls: int = 0


def _usage(rng: random.Random, plan: Plan) -> Any:
    if rng.random() < 0.5:
        prompt, completion = rng.randint(0, 50_000), rng.randint(0, 5_000)
        plan.valid.add((prompt, completion))
        return {"prompt_tokens": prompt, "completion_tokens": completion}
    field_ = rng.choice(["prompt_tokens", "completion_tokens"])
    usage: Any = {"prompt_tokens": 10, "completion_tokens": 10, field_: rng.choice(HOSTILE_USAGE)}
    return rng.choice([usage, usage, rng.choice(HOSTILE_USAGE)])


def make_plan(seed: int) -> Plan:
    rng = random.Random(seed)
    plan = Plan()
    model = lambda: rng.choice([*HOSTILE_MODELS, "gpt-4o-mini-2024-07-18", "gpt-4o-mini"])  # noqa: E731
    if rng.random() < 0.5:
        calls = []
        for k in range(rng.randint(1, 3)):
            index = rng.choice([k, k, k, str(k), None, -1, 10**6])
            calls.append((index, f"call_{seed}_{k}", rng.choice(TOOLS), rng.choice(HOSTILE_ARGS)))
        plan.calls = len(calls)
        content = hostile_text(rng, rng.randint(0, 2))
        plan.replies.append(
            hostile_stream(content, usage=_usage(rng, plan), model=model(), tool_calls=calls)
        )
    content = hostile_text(rng, rng.randint(1, 12))
    cut = rng.randint(1, len(content)) if rng.random() < 0.2 else None
    plan.replies.append(
        hostile_stream(content, usage=_usage(rng, plan), model=model(), cut_after=cut)
    )
    return plan


@pytest.fixture
def workspace(home: Path) -> Path:
    work = home / "work"
    (work / "notes.txt").write_text("alpha\nbeta\ngamma\n")
    (work / "latin1.txt").write_bytes(b"caf\xe9\n")
    os.symlink("loop", work / "loop")
    (home / "secret.txt").write_text("TOKEN=hunter2\n")
    os.link(home / "secret.txt", work / "linked.txt")
    return work


def rows(db: Path, after: int) -> list[tuple[Any, ...]]:
    con = sqlite3.connect(db)
    try:
        return con.execute(
            "SELECT id, typeof(model), model, prompt_tokens, completion_tokens, cost_pico,"
            " estimated, open FROM ledger WHERE id > ? ORDER BY id",
            (after,),
        ).fetchall()
    finally:
        con.close()


def stored_answers(db: Path, cid: int) -> list[str]:
    con = sqlite3.connect(db)
    try:
        found = con.execute(
            "SELECT content FROM messages WHERE conversation_id = ? AND role = 'assistant'",
            (cid,),
        ).fetchall()
        return [text for (text,) in found]
    finally:
        con.close()


def run_seeds(
    seeds: range, env: dict[str, str], home: Path, server: WireServer, goshi: Any
) -> None:
    server.openai.default = openai_stream("spare", usage=(*DEFAULT_USAGE, 0))
    db = home / "data" / "goshi" / "goshi.db"
    last = 0
    for number, seed in enumerate(seeds, 1):
        plan = make_plan(seed)
        server.openai.queue.clear()
        server.openai.push(*plan.replies)
        asked = len(server.chat_requests())
        proc = subprocess.run(
            [GOSHI, "ask", f"question {seed}"],
            input="",
            capture_output=True,
            text=True,
            env=env,
            cwd=home / "work",
            timeout=60,
            start_new_session=True,
        )
        where = f"seed {seed}: exit {proc.returncode}, stderr {proc.stderr[-500:]!r}"
        assert "Traceback" not in proc.stderr and proc.returncode in CODES, where
        for text in stored_answers(db, number):  # each run is a new conversation
            assert text.strip("\n") in proc.stdout, where
        if plan.calls and len(server.chat_requests()) > asked + 1:
            sent = server.chat_requests()[asked + 1].body["messages"]
            said = [
                c["id"] for m in sent if m["role"] == "assistant" for c in m.get("tool_calls") or ()
            ]
            answered = [m["tool_call_id"] for m in sent if m["role"] == "tool"]
            assert said and said == answered, where
        new = rows(db, last)
        assert len(new) <= len(plan.replies) + 2, where
        for row_id, kind, model, prompt, completion, cost, estimated, still_open in new:
            assert kind == "text" and model.isprintable() and len(model) <= 200, where
            assert not still_open and cost is not None and cost >= 0, where
            assert cost == mini_pico(Usage(prompt, completion)), (
                where
            )  # priced from the row's own figures...
            assert estimated or (prompt, completion) in plan.valid, where  # ...the server's
            last = row_id
    report = cost_json(goshi)
    everything = rows(db, 0)
    assert report["answers"] == len(everything)
    assert report["estimated_answers"] == sum(r[6] for r in everything)
    assert report["open_answers"] == 0
    assert report["total_usd"] == pytest.approx(sum(r[5] for r in everything) / PICO, abs=1e-12)


def test_a_seeded_sample_of_hostile_turns(env, home, server, goshi, workspace) -> None:
    run_seeds(SAMPLE, env, home, server, goshi)


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_200_hostile_turns(env, home, server, goshi, workspace) -> None:
    run_seeds(range(RUNS), env, home, server, goshi)
