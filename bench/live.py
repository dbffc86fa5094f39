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

ROOT = Path(__file__).resolve().parent.parent
GOSHI = str(Path(sys.executable).with_name("goshi"))
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
    start = time.perf_counter()
    proc = subprocess.Popen(
        [GOSHI, "ask", "hi"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    results: dict[int, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        for size in SIZES:
            server = subprocess.Popen(
                [sys.executable, "-m", "tests.wire_server", "--tokens", str(size), "--markdown"],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                text=True,
            )
            assert server.stdout is not None
            url = server.stdout.readline().strip()
            env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG")}
            env.update(
                HOME=str(home),
                XDG_DATA_HOME=str(home / "data"),
                XDG_STATE_HOME=str(home / "state"),
                XDG_CONFIG_HOME=str(home / "cfg"),
                OPENAI_API_KEY="sk-bench",
                OPENAI_BASE_URL=f"{url}/v1",
                TERM="xterm-256color",
            )
            run_pty(env), run_pipe(env)  # warm up
            tty, pipe = [], []
            for _ in range(args.runs):
                tty.append(run_pty(env))
                pipe.append(run_pipe(env))
            server.terminate()
            server.wait()
            results[size] = {
                "tty_ms": statistics.median(w for w, _ in tty) * 1000,
                "pipe_ms": statistics.median(w for w, _ in pipe) * 1000,
                "tty_cpu_ms": statistics.median(c for _, c in tty) * 1000,
                "pipe_cpu_ms": statistics.median(c for _, c in pipe) * 1000,
            }
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
