"""Fixtures: a loopback wire server per test, and `goshi` run as the user runs it.

Every run gets its own XDG directories and a working directory without a goshi.yaml, so nothing
leaks between tests or from the developer's machine. Nothing reaches beyond 127.0.0.1.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.processes import adopt_orphans
from tests.wire_server import WireServer

# A shell that starts the suite in the background (CI runners, `cmd &`) leaves SIGINT ignored, and
# children inherit that: goshi would never see the Ctrl-C the tests send. Restore the default.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)
adopt_orphans()  # what a test's goshi leaves behind comes here to be seen gone (tests/processes.py)

GOSHI = str(Path(sys.executable).with_name("goshi"))
TEST_KEY = "sk-test-0123456789abcdefSECRET"

FAST_CONFIG = """\
backend: openai
retry: {attempts: 3, base_delay_s: 0.01, max_delay_s: 2}
http: {connect_timeout_s: 2, read_timeout_s: 2}
"""


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str


@pytest.fixture
def server() -> Iterator[WireServer]:
    srv = WireServer().start()
    yield srv
    srv.stop()


@pytest.fixture
def other_server() -> Iterator[WireServer]:
    """A second server: where a hostile project file would like goshi to send things."""
    srv = WireServer().start()
    yield srv
    srv.stop()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    for name in ("config", "data", "state", "work"):
        (tmp_path / name).mkdir()
    (tmp_path / "fast.yaml").write_text(FAST_CONFIG)
    return tmp_path


@pytest.fixture
def env(home: Path, server: WireServer) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "SYSTEMROOT")}
    return {
        **keep,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_STATE_HOME": str(home / "state"),
        "OPENAI_API_KEY": TEST_KEY,
        "OPENAI_BASE_URL": f"{server.url}/v1",
        "OLLAMA_HOST": server.url,
        "GOSHI_CONFIG": str(home / "fast.yaml"),
        "NO_COLOR": "1",
    }


@pytest.fixture
def goshi(env: dict[str, str], home: Path):  # type: ignore[no-untyped-def]
    def run(*args: str, stdin: str | None = None, timeout: float = 30, **extra: str) -> Result:
        proc = subprocess.run(
            [GOSHI, *args],
            input=stdin if stdin is not None else "",
            capture_output=True,
            text=True,
            env={**env, **extra},
            cwd=home / "work",
            timeout=timeout,
            start_new_session=True,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    return run


def start(env: dict[str, str], home: Path, *args: str) -> subprocess.Popen[str]:
    """goshi ARGS started in the background, as a script starts it, away from the terminal."""
    return subprocess.Popen(
        [GOSHI, *args],
        env=env,
        cwd=home / "work",
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--slow",
        action="store_true",
        help="run the slow fault-injection and fuzz cases in full (default: a seeded sample)",
    )
    parser.addoption(
        "--real",
        action="store_true",
        help="also run tests/test_real_server.py against a real llama.cpp server"
        " (shared/tools/realserver.py; the first run installs it from PyPI)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("--real"):  # by its marker: "real" is also a folder name here
        skip_real = pytest.mark.skip(reason="real server: run with `pytest --real`")
        for item in items:
            if item.get_closest_marker("real") is not None:
                item.add_marker(skip_real)
    if config.getoption("--slow"):
        return
    skip = pytest.mark.skip(reason="slow: run with `pytest --slow`")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
