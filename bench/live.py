"""The live Markdown view in a pseudo-terminal against the same answer into a pipe.

    python bench/live.py [--runs N]      (also run by bench/run.py)

For answers of 1k, 5k, 10k and 20k Markdown tokens (tests/data/answer.md over and over), times
`goshi ask` with stdout a 40x120 pseudo-terminal and with stdout a pipe, interleaved, medians;
and the child's CPU time per token in the terminal. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

from common import GOSHI, Server, environment, run_piped, run_pty

SIZES = (1000, 5000, 10000, 20000)


def tty_run(env: dict[str, str]) -> tuple[float, float]:
    run = run_pty([GOSHI, "ask", "hi"], env)
    return run.wall_s, run.cpu_s


def run_pipe(env: dict[str, str]) -> tuple[float, float]:
    run = run_piped([GOSHI, "ask", "hi"], env)
    return run.wall_s, run.cpu_s


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    results: dict[int, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        for size in SIZES:
            server = Server("--tokens", str(size), "--markdown")
            env = environment(home, server.url, TERM="xterm-256color")
            tty_run(env), run_pipe(env)  # warm up
            tty, pipe = [], []
            for _ in range(args.runs):
                tty.append(tty_run(env))
                pipe.append(run_pipe(env))
            server.stop()
            results[size] = {
                "tty_ms": statistics.median(w for w, _ in tty) * 1000,
                "pipe_ms": statistics.median(w for w, _ in pipe) * 1000,
                "tty_cpu_ms": statistics.median(c for _, c in tty) * 1000,
                "pipe_cpu_ms": statistics.median(c for _, c in pipe) * 1000,
            }
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
