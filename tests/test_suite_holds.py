"""The suite itself holds wherever it runs: from a developer's terminal, goshi asks it nothing.

Every goshi a test starts is detached from the controlling terminal (start_new_session), so a
question that needs /dev/tty finds none and is refused, as for any headless run; approval tests
give goshi a pseudo-terminal of their own (tests/terminal.py).
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# the tests whose goshi would ask for approval if it could reach a terminal
ASKING = [
    "tests/test_command.py::test_without_a_terminal_other_commands_are_refused_even_with_yes",
    "tests/test_command.py::test_an_untrusted_project_file_cannot_allow_commands",
    "tests/test_tools.py::test_a_write_without_a_terminal_or_yes_is_refused",
    "tests/test_mcp.py::test_yes_does_not_approve_mcp_tools",
    "tests/test_mcp.py::test_an_untrusted_project_file_cannot_start_a_server",
]
# files whose subprocesses may stay in the caller's session: the linters, and the MCP test
# server's sleeper, which must stay in that server's process group for goshi to stop it
UNDETACHED = {"test_code_quality.py", "mcp_server.py"}


@pytest.mark.skipif(shutil.which("script") is None, reason="no `script` (util-linux) here")
@pytest.mark.timeout(240)  # a question waiting on the terminal fails each test at its 30 s
def test_run_from_a_terminal_the_asking_tests_ask_that_terminal_nothing() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST") and k != "NO_COLOR"}
    pytest_ = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-n", "0", "-q"]
    inner = " ".join([*pytest_, "--timeout", "30", *ASKING])
    r = subprocess.run(
        ["script", "-qec", inner, "/dev/null"],
        cwd=ROOT,
        env={**env, "TERM": "xterm"},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=220,
        start_new_session=True,
    )
    shown = r.stdout.replace("\r", "")
    assert "\x1b[" in shown, f"pytest did not see a terminal:\n{shown}"  # it colours one
    assert "run it?" not in shown and "[y]es / [n]o" not in shown, shown
    assert r.returncode == 0 and f"{len(ASKING)} passed" in shown, shown


def test_every_process_the_suite_starts_leaves_the_terminal() -> None:
    """A new subprocess in tests/ without start_new_session would put goshi back on the
    developer's terminal: it must say start_new_session=True."""
    attached = []
    for path in sorted((ROOT / "tests").glob("*.py")):
        if path.name in UNDETACHED:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("run", "Popen")
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "subprocess"
                and not any(
                    k.arg == "start_new_session"
                    and isinstance(k.value, ast.Constant)
                    and k.value.value is True
                    for k in node.keywords
                )
            ):
                attached.append(f"{path.name}:{node.lineno}")
    assert attached == []
