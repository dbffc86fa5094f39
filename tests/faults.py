"""Helpers of the fault-injection and fuzz tests: goshi as a live process, and what the ledger
should hold: written here from the price table's numbers and DESIGN's estimate rule, never
computed by goshi's own meter (a bug there would then agree with itself).
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import time
from datetime import date
from pathlib import Path
from typing import Any

from goshi.llm.types import Usage
from goshi.store.engine import sqlite3
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


# `goshi cost` counts this month by default: a test's asks and its report may straddle midnight
# at a month's end, so its totals are asked for since long before any test ran
EVER = ("--since", "2000-01-01")


class Day:
    """The local date from a test's start: what `today` and the daily limit count changes at
    midnight, so a test asserts those only while the day stayed the same."""

    def __init__(self) -> None:
        self.start = date.today()

    @property
    def same(self) -> bool:
        return date.today() == self.start


def cost_json(goshi: Any) -> dict[str, Any]:
    r = goshi("cost", "--json", *EVER)
    assert r.code == 0, r.stderr
    return dict(json.loads(r.stdout))


# gpt-4o-mini in goshi/data/prices.json: $0.15, $0.075 cached, $0.60 per 1M tokens, which is
# 150,000, 75,000 and 600,000 pico-dollars (the ledger's unit) a token
MINI_INPUT, MINI_CACHED, MINI_OUTPUT = 150_000, 75_000, 600_000
OPEN_OUTPUT_ESTIMATE = 4096  # an open row's answer when no output cap was sent (DESIGN.md)


def mini_pico(usage: Usage) -> int:
    """What gpt-4o-mini's usage costs, in pico-dollars."""
    cached = min(usage.cached_tokens, usage.prompt_tokens)
    return (
        (usage.prompt_tokens - cached) * MINI_INPUT
        + cached * MINI_CACHED
        + usage.completion_tokens * MINI_OUTPUT
    )


def mini_cost(usage: Usage) -> float:
    return mini_pico(usage) / 10**12


def estimated_tokens(text: str) -> int:
    """The estimate rule: a token for every 3 bytes of UTF-8, rounded up."""
    return -(-len(text.encode("utf-8")) // 3)


def estimated_prompt(texts: list[str]) -> int:
    """3 tokens a request and 4 a message, beside each message's text."""
    return 3 + sum(4 + estimated_tokens(text) for text in texts)


def sent_texts(body: dict[str, Any]) -> list[str]:
    return [m.get("content") or "" for m in body["messages"]]


def estimated_cost(body: dict[str, Any], answer_text: str) -> float:
    """What goshi charges for an answer the server sent no (usable) usage for."""
    return mini_cost(Usage(estimated_prompt(sent_texts(body)), estimated_tokens(answer_text)))


def open_estimate(body: dict[str, Any]) -> float:
    """The pre-request estimate an open ledger row holds: the prompt, the tools' schemas (as one
    more message) and the output cap."""
    texts = sent_texts(body)
    if body.get("tools"):
        texts.append(json.dumps(body["tools"]))
    return mini_cost(Usage(estimated_prompt(texts), OPEN_OUTPUT_ESTIMATE))


def ledger(home: Path) -> list[tuple[int, int, int]]:
    """(cost_pico, estimated, open) of every ledger row."""
    db = sqlite3.connect(home / "data" / "goshi" / "goshi.db")
    try:
        return db.execute("SELECT cost_pico, estimated, open FROM ledger ORDER BY id").fetchall()
    finally:
        db.close()
