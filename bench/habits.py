"""Shell completion and conversation search, timed (run by bench/run.py, or alone).

    python bench/habits.py [--runs N] [--conversations N]

- Completion: `goshi --version` against a Tab press as bash makes it (`_GOSHI_COMPLETE=
  complete_bash` with COMP_WORDS), interleaved run by run, medians; for a model (`-m gp`), a
  conversation id (`--cid `, read from a store of N conversations) and zsh (help texts shown).
- Search: a store of N conversations (two questions and two answers each, about 250 words of
  programming prose per answer, Zipf-distributed words from a fixed seed) searched in-process
  (`Store.search`) for a rare word, a common word and two words; and
  `goshi history search` end to end, as a process, against `goshi --version`.
Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from common import GOSHI, ROOT, environment, run_piped

sys.path.insert(0, str(ROOT))
from goshi.store import Store
from goshi.store.search import match_expression

VOCABULARY = (
    "git branch commit merge rebase stash diff patch file function class method variable "
    "test error exception trace stack heap memory pointer thread lock queue cache index "
    "query table column row schema migration server client request response header body "
    "token stream socket timeout retry backoff config yaml json parse render terminal shell "
    "python rust docker kubernetes deploy build release version tag pipeline lint format "
    "type module package import export async await future promise callback closure iterator "
    "generator decorator context manager fixture mock assert coverage benchmark profile "
    "latency throughput bottleneck optimise refactor rename extract inline loop recursion"
)
WORDS = VOCABULARY.split()
RARE = "bisect"  # in about one conversation in 500


def sentence(rng: random.Random, n: int) -> str:
    weights = [1 / (i + 1) for i in range(len(WORDS))]
    return " ".join(rng.choices(WORDS, weights, k=n)).capitalize() + "."


def build_store(path: Path, conversations: int) -> None:
    rng = random.Random(14)
    store = Store(path)
    db = store.db
    db.execute("BEGIN")
    for cid in range(1, conversations + 1):
        at = 1_700_000_000 + cid * 60
        db.execute(
            "INSERT INTO conversations (id, created_at, model, backend, system)"
            " VALUES (?, ?, 'gpt-4o-mini', 'openai', NULL)",
            (cid, at),
        )
        for turn in range(2):
            question = sentence(rng, 12)
            if turn == 0 and cid % 500 == 0:
                question += f" How do I {RARE} a regression?"
            answer = " ".join(sentence(rng, 14) for _ in range(18))
            for role, text in (("user", question), ("assistant", answer)):
                db.execute(
                    "INSERT INTO messages (conversation_id, created_at, role, content, status)"
                    " VALUES (?, ?, ?, ?, 'ok')",
                    (cid, at, role, text),
                )
    db.execute("COMMIT")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()


def in_process(path: Path, runs: int) -> dict[str, dict[str, float]]:
    store = Store(path)
    out = {}
    for label, text in (("rare word", RARE), ("common word", "rebase"), ("two words", "git cache")):
        times = []
        found = 0
        for _ in range(runs):
            t = time.perf_counter()
            found = len(store.search(text, 10))
            times.append(time.perf_counter() - t)
        matching = store.db.execute(
            "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH ?",
            (match_expression(text),),
        ).fetchone()[0]
        out[label] = {
            "median_ms": statistics.median(times) * 1000,
            "max_ms": max(times) * 1000,
            "results": found,
            "matching_messages": matching,
        }
    store.close()
    return out


def interleaved(pairs: dict[str, tuple[list[str], dict[str, str]]], runs: int) -> dict[str, float]:
    samples: dict[str, list[float]] = {name: [] for name in pairs}
    for cmd, env in pairs.values():  # warm the page cache
        run_piped(cmd, env)
    for _ in range(runs):
        for name, (cmd, env) in pairs.items():
            samples[name].append(run_piped(cmd, env).wall_s)
    return {name: statistics.median(s) * 1000 for name, s in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--conversations", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        env = environment(home, "http://127.0.0.1:9", OLLAMA_HOST="http://127.0.0.1:9")
        store = home / "data" / "goshi" / "goshi.db"
        store.parent.mkdir(parents=True)
        t = time.perf_counter()
        build_store(store, args.conversations)
        built_s = time.perf_counter() - t

        def tab(line: str) -> dict[str, str]:
            return {
                **env,
                "_GOSHI_COMPLETE": "complete_bash",
                "COMP_WORDS": line,
                "COMP_CWORD": str(len(line.split(" ")) - 1),
            }

        zsh = {**env, "_GOSHI_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "goshi ask -m gp"}
        os.chdir(home)
        ms = interleaved(
            {
                "version": ([GOSHI, "--version"], env),
                "tab_model": ([GOSHI], tab("goshi ask -m gp")),
                "tab_cid": ([GOSHI], tab("goshi ask --cid ")),
                "tab_model_zsh": ([GOSHI], zsh),
                "history_search": ([GOSHI, "history", "search", RARE], env),
            },
            args.runs,
        )
        json.dump(
            {
                "conversations": args.conversations,
                "store_mib": store.stat().st_size / 2**20,
                "build_s": built_s,
                "process_ms": ms,
                "search": in_process(store, args.runs * 4),
            },
            sys.stdout,
            indent=2,
        )


if __name__ == "__main__":
    main()
