"""Helpers of the fault-injection and fuzz tests: goshi as a live process, and what the ledger
should hold (priced by goshi's own meter from what the server reported or what arrived).
"""

from __future__ import annotations

import json
import os
import select
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

from goshi.agent.calls import SCHEMAS
from goshi.cost.meter import OPEN_OUTPUT_ESTIMATE, cost_of, estimate_usage, usd
from goshi.cost.prices import load_table, resolve
from goshi.llm.types import Message, Usage
from tests.conftest import GOSHI, Result


class Live:
    """A goshi process whose stdout the test reads as it arrives."""

    def __init__(self, env: dict[str, str], cwd: Path, *args: str) -> None:
        self.proc = subprocess.Popen(
            [GOSHI, *args],
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        self.out = b""

    def read_until(self, needle: bytes, timeout: float = 15) -> bytes:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        end = time.monotonic() + timeout
        while needle not in self.out:
            left = end - time.monotonic()
            assert left > 0, f"no {needle!r} on stdout in {timeout} s: {self.out[-200:]!r}"
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 65536)
                assert chunk, f"stdout closed before {needle!r}: {self.out[-200:]!r}"
                self.out += chunk
        return self.out

    def finish(self, timeout: float = 30) -> Result:
        rest, err = self.proc.communicate(timeout=timeout)
        return Result(self.proc.returncode, (self.out + rest).decode(), err.decode())


def assert_clean(r: Result, code: int, *needles: str) -> None:
    """The documented exit code, no traceback, and one stderr line saying what happened."""
    assert r.code == code, (r.code, r.stderr)
    assert "Traceback" not in r.stderr, r.stderr
    for needle in needles:
        assert needle in r.stderr, r.stderr


def cost_json(goshi: Any) -> dict[str, Any]:
    r = goshi("cost", "--json")
    assert r.code == 0, r.stderr
    return dict(json.loads(r.stdout))


def mini_pico(usage: Usage) -> int:
    """What gpt-4o-mini's usage costs, in pico-dollars (the ledger's unit)."""
    pricing = resolve("gpt-4o-mini", "openai", load_table(), {})
    assert pricing is not None
    return cost_of(usage, pricing.rate(usage.prompt_tokens))


def mini_cost(usage: Usage) -> float:
    return usd(mini_pico(usage))


def sent_messages(body: dict[str, Any]) -> list[Message]:
    return [Message(m["role"], m.get("content") or "") for m in body["messages"]]


def estimated_cost(body: dict[str, Any], answer_text: str) -> float:
    """What goshi charges for an answer the server sent no (usable) usage for."""
    return mini_cost(estimate_usage(sent_messages(body), answer_text))


def open_estimate(body: dict[str, Any]) -> float:
    """The pre-request estimate an open ledger row holds: the prompt, tools and the output cap."""
    messages = sent_messages(body)
    if body.get("tools"):
        messages.append(Message("system", json.dumps(SCHEMAS)))
    prompt = estimate_usage(messages, "").prompt_tokens
    return mini_cost(Usage(prompt, OPEN_OUTPUT_ESTIMATE))


def ledger(home: Path) -> list[tuple[int, int, int]]:
    """(cost_pico, estimated, open) of every ledger row."""
    db = sqlite3.connect(home / "data" / "goshi" / "goshi.db")
    try:
        return db.execute("SELECT cost_pico, estimated, open FROM ledger ORDER BY id").fetchall()
    finally:
        db.close()
