"""Long conversations (goshi/context/): what preparing a request costs as a conversation grows.

Times, in-process, what goshi does before sending: load the history after the last compaction,
count it, fit it into the window (session.messages() + context.fit). Conversations of 1, 500,
1,000 and 2,000 turns (a ~400-byte question and a ~900-byte answer each, so 1,000 turns are ~430k
byte-bound tokens, past gpt-4o-mini's 128k window); `context.strategy: drop`, so no summary request
is made and nothing leaves the process. Each run starts from a fresh copy of the store:
  first   the conversation has never been compacted: every turn is loaded, counted and planned
  after   a later request in a new process, once the compaction is recorded: only the turns
          after its mark are loaded
Then the peak memory of a real `goshi ask --cid` on the 2,000-turn conversation (summarize, the
loopback wire server answering the summary and the question). Prints a report and its targets
(1,000 turns <= 20 ms over 1 turn; linear growth; <= 60 MiB), or JSON with --json.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from common import GOSHI, Server, environment, run_piped

from goshi.llm.types import Message
from goshi.store import Store

QUESTION = "Why does the build fail on the second run? " * 9  # ~400 bytes
ANSWER = "Because the cache keeps the old object files; clean it and rebuild. " * 13  # ~900
SIZES = (1, 500, 1000, 2000)
RUNS = 15


def make_store(path: Path, turns: int) -> None:
    store = Store(path)
    conversation = store.new_conversation("gpt-4o-mini", "openai", "be brief")
    for i in range(turns):
        store.add_message(conversation.id, Message("user", f"{i}: {QUESTION}"), "ok")
        store.add_message(conversation.id, Message("assistant", ANSWER), "ok")
    store.add_message(conversation.id, Message("user", "and now?"), "pending")
    store.close()


def prepare_once(home: Path) -> float:
    from goshi.turn.session import Session, SessionOptions
    from goshi.ui.approve import Approval

    started = time.process_time()  # CPU time: the machine is shared, wall time is noise
    session = Session.start(SessionOptions(cid=1), Approval(False))
    view = session.messages()
    session.context.fit(view, session.tools.schemas(), None)
    elapsed = time.process_time() - started
    session.store.close()
    return elapsed


def main() -> None:
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        for name in ("config", "data", "state"):
            (home / name).mkdir()
        (home / "goshi.yaml").write_text("backend: openai\ncontext: {strategy: drop}\n")
        os.environ.update(
            environment(home, "https://api.openai.com", GOSHI_CONFIG=str(home / "goshi.yaml"))
        )
        os.environ["OPENAI_BASE_URL"] = "https://api.openai.com/v1"
        live = home / "data" / "goshi" / "goshi.db"
        live.parent.mkdir(parents=True)
        for turns in SIZES:
            template = home / f"t{turns}.db"
            make_store(template, turns)
            first, after = [], []
            for _ in range(RUNS):
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{live}{suffix}").unlink(missing_ok=True)
                shutil.copy(template, live)
                first.append(prepare_once(home))
                after.append(prepare_once(home))
            results[str(turns)] = {
                "first_ms": statistics.median(first) * 1000,
                "after_ms": statistics.median(after) * 1000,
            }
        memory = peak_memory(home)
    if "--json" in sys.argv:
        json.dump({"prepare": results, "peak_rss_mib_2000_turns": memory}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        report(results, memory)


def report(results: dict[str, dict[str, float]], memory: float) -> None:
    first = {int(n): r["first_ms"] for n, r in results.items()}
    print(f"context: preparing a request (load, count, fit), CPU ms, median of {RUNS} runs")
    print("| turns | never compacted | after a compaction |")
    print("|---:|---:|---:|")
    for n, r in results.items():
        print(f"| {int(n):,} | {r['first_ms']:.1f} | {r['after_ms']:.1f} |")
    over = first[1000] - first[1]
    per_1k = [(first[1000] - first[500]) * 2, first[2000] - first[1000]]
    print(
        f"1,000 turns over 1: {over:.1f} ms (target <= 20 ms: {'yes' if over <= 20 else 'NO'});"
        f" per 1,000 turns 500->1,000: {per_1k[0]:.1f} ms, 1,000->2,000: {per_1k[1]:.1f} ms"
    )
    ok = "yes" if memory <= 60 else "NO"
    print(f"peak RSS of goshi ask on 2,000 turns: {memory:.1f} MiB (target <= 60 MiB: {ok})")


def peak_memory(home: Path) -> float:
    server = Server()
    try:
        make_store(home / "t2000s.db", 2000)
        live = home / "data" / "goshi" / "goshi.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{live}{suffix}").unlink(missing_ok=True)
        shutil.copy(home / "t2000s.db", live)
        (home / "sum.yaml").write_text("backend: openai\n")
        env = environment(home, server.url, GOSHI_CONFIG=str(home / "sum.yaml"))
        run = run_piped([GOSHI, "ask", "--cid", "1", "and now?"], env)
        return run.rss_kib / 1024
    finally:
        server.stop()


if __name__ == "__main__":
    main()
