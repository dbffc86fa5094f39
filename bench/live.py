"""The live Markdown view in a pseudo-terminal against the same answer into a pipe.

    python bench/live.py [--runs N]      (also run by bench/run.py)

For answers of 1k, 5k, 10k and 20k Markdown tokens (tests/data/answer.md over and over), times
`goshi ask` with stdout a 40x120 pseudo-terminal and with stdout a pipe, interleaved, medians;
and the child's CPU time per token in the terminal. Prints JSON.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import pty
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

from common import GOSHI, Server, environment, run_piped

SIZES = (1000, 5000, 10000, 20000)


def run_pty(env: dict[str, str]) -> tuple[float, float]:
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    start = time.perf_counter()
    proc = subprocess.Popen(
        [GOSHI, "ask", "hi"], env=env, stdin=slave, stdout=slave, stderr=slave, close_fds=True
    )
    os.close(slave)
    while True:
        try:
            if not os.read(master, 65536):
                break
        except OSError:
            break
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    os.close(master)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"goshi failed in a pty: {proc.returncode}")
    return wall, usage.ru_utime + usage.ru_stime


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
            run_pty(env), run_pipe(env)  # warm up
            tty, pipe = [], []
            for _ in range(args.runs):
                tty.append(run_pty(env))
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
