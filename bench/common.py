"""What the benchmark scripts share: paths, the normal install, the loopback server, goshi's
environment, one run (stdout a pipe or a 40x120 pseudo-terminal)."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
GOSHI = str(Path(sys.executable).with_name("goshi"))
INSTALL = ROOT / "bench" / ".venv-install"  # `pip install .` of the working tree: what users get
ROWS, COLS = 40, 120


def installed_python() -> Path:
    """A venv holding a normal (not editable) install of the working tree, refreshed each call."""
    python = INSTALL / "bin" / "python"
    pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(INSTALL)], check=True)
        subprocess.run([*pip, str(ROOT)], check=True)
    else:
        subprocess.run([*pip, "--no-deps", "--force-reinstall", str(ROOT)], check=True)
        if subprocess.run([str(python), "-m", "pip", "check"], capture_output=True).returncode:
            subprocess.run([*pip, str(ROOT)], check=True)  # pyproject.toml's dependencies moved
    return python


class Server:
    """tests/wire_server.py in its own process, answering with what `args` say."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [PYTHON, "-m", "tests.wire_server", *args], cwd=ROOT, stdout=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait()


def environment(home: Path, openai_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL")}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
        XDG_STATE_HOME=str(home / "state"),
        OPENAI_API_KEY="sk-bench",
        OPENAI_BASE_URL=f"{openai_url}/v1",
        **extra,
    )
    return env


@dataclass
class Run:
    wall_s: float
    cpu_s: float
    rss_kib: int
    output: bytes


def run_piped(cmd: list[str], env: dict[str, str]) -> Run:
    """One run with stdout a pipe, read to the end; a failing run stops the benchmark."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout is not None and proc.stderr is not None
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{cmd} failed ({proc.returncode}): {err.decode()[-500:]}")
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, out)


def run_pty(cmd: list[str], env: dict[str, str]) -> Run:
    """One run with stdin, stdout and stderr a 40x120 pseudo-terminal, read to the end."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    os.close(master)
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"{cmd} failed in a pty ({code}): {b''.join(chunks)[-500:]!r}")
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, b"".join(chunks))
