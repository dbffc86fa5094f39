"""A heavy user's years, timed (issue 24): `goshi cost`, `history export`, `history show` and
`history rm` on stores of growing size, built in goshi's own schema by bench/scale_store.py.

    python bench/scale.py [--runs N] [--ledger 30000,100000,300000] [--turns 500,5000,20000]

- cost: `goshi cost --since <3 years ago> --json` (every row in range) and plain `goshi cost`
  (this month) on ledgers of each size, the answers spread over three years.
- export / show: `history export ID --format json|md` and `history show ID` into a pipe, on one
  conversation of each size (a turn: a ~400-byte question and a ~1,100-byte answer, every tenth
  with a tool call and its result).
- rm: `history rm ID` of that conversation (a fresh copy of the store each run), alone, then
  while another process writes to the store as an ask does (BEGIN IMMEDIATE, one row, COMMIT,
  every 5 ms): its longest wait for the write lock (rm pauses between batches only then).

Each command runs as a process from a small launcher that reports its wall time, CPU time
(user + sys) and peak RSS (the launcher, not this process, forks it: Linux counts the image a
child was forked from in its peak). Medians of N runs. Prints Markdown tables; copy them into
bench/README.md with the machine and its load.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path
from typing import TypeVar

import scale_store
from common import GOSHI, PYTHON, environment

T = TypeVar("T")

LAUNCH = """
import json, os, resource, subprocess, sys, time
start = time.perf_counter()
size = 0
with subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL) as proc:
    while chunk := proc.stdout.read(1 << 20):
        size += len(chunk)
wall = time.perf_counter() - start
used = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"code": proc.returncode, "wall": wall, "cpu": used.ru_utime + used.ru_stime,
                  "rss": used.ru_maxrss / 1024, "bytes": size}))
"""

WRITER = """
import signal, sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], timeout=30, isolation_level=None)
worst, stop = 0.0, []
signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
print("ready", flush=True)
while not stop:
    start = time.perf_counter()
    db.execute("BEGIN IMMEDIATE")
    db.execute("INSERT OR REPLACE INTO circuits VALUES ('bench', 'closed', 0, 0, 0, ?)", (start,))
    db.execute("COMMIT")
    worst = max(worst, time.perf_counter() - start)
    time.sleep(0.005)
print(worst)
"""


def measured(args: list[str], env: dict[str, str]) -> dict[str, float]:
    out = subprocess.run(
        [PYTHON, "-c", LAUNCH, GOSHI, *args], env=env, capture_output=True, text=True, check=True
    )
    result: dict[str, float] = json.loads(out.stdout)
    if result["code"] != 0:
        raise SystemExit(f"goshi {' '.join(args)} failed ({result['code']})")
    return result


def medians(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(r[key] for r in runs) for key in runs[0]}


def fresh(store: Path, home: Path) -> None:
    """A copy of the built store as goshi's store (migrated once beforehand)."""
    live = home / "data" / "goshi" / "goshi.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{live}{suffix}").unlink(missing_ok=True)
    shutil.copy(store, live)


def cost_rows(home: Path, env: dict[str, str], sizes: list[int], runs: int) -> list[str]:
    since = date.today().replace(year=date.today().year - 3).isoformat()
    lines = []
    for rows in sizes:
        built = home / f"ledger-{rows}.db"
        scale_store.ledger(built, rows)
        fresh(built, home)
        for args, what in (
            (["cost", "--since", since, "--json"], f"`cost --since {since} --json`"),
            (["cost"], "`cost` (this month)"),
        ):
            m = medians([measured(args, env) for _ in range(runs)])
            lines.append(f"| {what} | {rows:,} rows | {_cells(m)} |")
    return lines


def conversation_rows(
    home: Path, env: dict[str, str], sizes: list[int], runs: int
) -> tuple[list[str], list[str]]:
    lines, rm_lines = [], []
    live = home / "data" / "goshi" / "goshi.db"
    for turns in sizes:
        built = home / f"turns-{turns}.db"
        cid = scale_store.conversation(built, turns)
        fresh(built, home)
        for args, what in (
            (["history", "export", str(cid), "--format", "json"], "`history export --format json`"),
            (["history", "export", str(cid), "--format", "md"], "`history export --format md`"),
            (["history", "show", str(cid)], "`history show`"),
        ):
            m = medians([measured(args, env) for _ in range(runs)])
            cells = f"{_cells(m)} | {m['bytes'] / 1e6:.1f} MB"
            lines.append(f"| {what} | {turns:,} turns | {cells} |")
        removals, waits, alone, by_itself = [], [], [], []
        rm = partial(measured, ["history", "rm", str(cid)], env)
        for _ in range(runs):
            fresh(built, home)
            by_itself.append(rm())  # nobody else has the store open: no pauses
            fresh(built, home)
            alone.append(_writer_while(live, partial(time.sleep, 1.0))[0])
            wait, removal = _writer_while(live, rm)
            waits.append(wait)
            removals.append(removal)
        rm_lines.append(
            f"| `history rm`, alone | {turns:,} turns | {_cells(medians(by_itself))} | | |"
        )
        m = medians(removals)
        rm_lines.append(
            f"| `history rm`, another process writing | {turns:,} turns | {_cells(m)}"
            f" | {max(waits) * 1000:.0f} ms | {max(alone) * 1000:.0f} ms |"
        )
    return lines, rm_lines


def _writer_while(live: Path, work: Callable[[], T]) -> tuple[float, T]:
    """The longest wait for the write lock of a process writing as an ask does, while `work`."""
    writer = subprocess.Popen([PYTHON, "-c", WRITER, str(live)], stdout=subprocess.PIPE, text=True)
    assert writer.stdout is not None
    writer.stdout.readline()  # ready
    time.sleep(0.1)
    done = work()
    time.sleep(0.1)
    writer.terminate()
    return float(writer.communicate()[0]), done


def _cells(m: dict[str, float]) -> str:
    return f"{m['wall'] * 1000:.0f} | {m['cpu'] * 1000:.0f} | {m['rss']:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--ledger", default="30000,100000,300000")
    parser.add_argument("--turns", default="500,5000,20000")
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        for name in ("config", "data/goshi", "state", "work"):
            (home / name).mkdir(parents=True)
        env = environment(home, "http://127.0.0.1:9")
        load = os.getloadavg()[0]
        floor = medians([measured(["--version"], env) for _ in range(opts.runs)])
        cost = cost_rows(home, env, [int(n) for n in opts.ledger.split(",")], opts.runs)
        shown, removed = conversation_rows(
            home, env, [int(n) for n in opts.turns.split(",")], opts.runs
        )
    print(f"medians of {opts.runs} runs; load average at the start {load:.1f}\n")
    print("| command | store | wall ms | CPU ms | peak RSS MiB |")
    print("|---|---:|---:|---:|---:|")
    print(f"| `goshi --version` (the floor of any command) | | {_cells(floor)} |")
    print("\n".join(cost))
    print("\n| command | conversation | wall ms | CPU ms | peak RSS MiB | output |")
    print("|---|---:|---:|---:|---:|---:|")
    print("\n".join(shown))
    print(
        "\n| command | conversation | wall ms | CPU ms | peak RSS MiB"
        " | an ask's longest wait | the same, no rm (the load's share) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    print("\n".join(removed))


if __name__ == "__main__":
    sys.exit(main())
