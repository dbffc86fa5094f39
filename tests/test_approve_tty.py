"""Approvals and commands in a real pseudo-terminal: one key answers (no Enter), `e` edits a
command before it runs, a command's output streams under its tool line and collapses to its last
lines, Ctrl-C stops a command without stopping goshi, and the tool line's time is goshi's own."""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

import pexpect
import pytest

from tests.conftest import GOSHI
from tests.processes import gone
from tests.terminal import Term
from tests.test_tools import call, results, tool_round
from tests.wire_server import WireServer, openai_stream

ROWS, COLS = 40, 120
CTRL_C = "\x03"
ASK_COMMAND = r"run it\? \[y\]es / \[n\]o / \[e\]dit:"
ASK_CHANGE = r"\[y\]es / \[n\]o / \[a\]lways this session:"


def spawn(env: dict[str, str], work: Path, *args: str) -> Term:
    child = pexpect.spawn(
        GOSHI,
        list(args),
        cwd=str(work),
        env={**env, "TERM": "xterm-256color", "PROMPT_TOOLKIT_NO_CPR": "1"},
        encoding="utf-8",
        timeout=20,
        dimensions=(ROWS, COLS),
    )
    return Term(child, ROWS, COLS)


@pytest.fixture
def work(home: Path) -> Path:
    root = home / "work"
    (root / "app.py").write_text("def add(a, b):\n    return a - b\n")
    return root


def test_y_without_enter_runs_the_command_and_the_time_is_goshis(
    env, server: WireServer, work
) -> None:
    server.openai.push(tool_round(call("run_command", command="echo hello")), openai_stream("ran"))
    t = spawn(env, work, "ask", "-y", "say hello")  # -y approves writes, never commands
    t.wait_for(ASK_COMMAND)
    assert f"run in {work} (timeout 120 s):" in t.text() and "  $ echo hello" in t.text()
    time.sleep(1.5)  # the user reads the command
    t.send("y")
    assert t.wait_exit() == 0
    line = re.search(r"-> run_command echo hello  exit 0 · 6 B  (\d+) ms", t.text())
    assert line, t.text()
    assert int(line[1]) < 1000  # the 1.5 s spent reading are not goshi's
    assert "run it? [y]es / [n]o / [e]dit: yes" in t.text()
    assert "  │ hello" in t.text()  # the collapsed output under the tool line
    assert results(server)[0].endswith("output (stdout and stderr):\nhello\n")


def test_n_refuses_and_e_edits_the_command_before_it_runs(env, server: WireServer, work) -> None:
    server.openai.push(
        tool_round(call("run_command", command="touch refused")),
        tool_round(call("run_command", command="touch one")),
        openai_stream("done"),
    )
    t = spawn(env, work, "ask", "make files")
    t.wait_for(ASK_COMMAND)
    t.send("n")
    t.wait_for(r"run_command touch refused  not approved")
    t.wait_for(r"\$ touch one\n(.|\n)*" + ASK_COMMAND)
    t.send("e")
    t.wait_for(r"\$ touch one\s*$")
    t.send(" two\r")
    assert t.wait_exit() == 0
    assert not (work / "refused").exists()
    assert (work / "one").exists() and (work / "two").exists()
    assert results(server, 1) == ["the user did not approve running this command; it was not run"]
    edited = results(server, 2)[0]
    assert edited.startswith("the user edited the command; what ran:\n$ touch one two\nexit code 0")


def test_output_streams_live_sanitised_and_collapses(env, server: WireServer, work) -> None:
    (work / "slow.sh").write_text(
        "printf 'first\\n\\033]0;pwned\\007\\n'\n"
        "while [ ! -e go ]; do sleep 0.05; done\n"
        "for i in 1 2 3 4 5 6 7; do echo later $i; done\n"
    )
    server.openai.push(tool_round(call("run_command", command="sh slow.sh")), openai_stream("ok"))
    t = spawn(env, work, "ask", "run it")
    t.wait_for(ASK_COMMAND)
    t.send("y")
    t.wait_for(r"-> run_command sh slow.sh  running \d+ s\n  │ first\n  │ \^\[\]0;pwned\^G")
    assert "later" not in t.text()  # it is still running: what is shown came live
    (work / "go").touch()
    t.wait_for(r"-> run_command sh slow.sh  exit 0")
    assert t.wait_exit() == 0
    screen = t.text()
    assert "running" not in screen  # the live region is gone
    tail = screen.split("-> run_command sh slow.sh  exit 0")[1].splitlines()[1:6]
    assert tail == [f"  │ later {i}" for i in range(3, 8)]  # collapsed to the last five lines


def test_ctrl_c_stops_the_command_not_the_chat(env, server: WireServer, work) -> None:
    (work / "hang.sh").write_text("sleep 60 &\necho $! > child.pid\necho started\nsleep 60\n")
    server.openai.push(tool_round(call("run_command", command="sh hang.sh")))
    server.openai.push(openai_stream("still here"))
    t = spawn(env, work, "chat")
    t.wait_for("Ctrl-D to leave")
    t.send("hang\r")
    t.wait_for(ASK_COMMAND)
    t.send("y")
    t.wait_for(r"│ started")
    t.send(CTRL_C)
    t.wait_for(r"-> run_command sh hang.sh  interrupted")
    pid = int((work / "child.pid").read_text())
    deadline = time.monotonic() + 5
    while not gone(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert gone(pid)
    t.wait_for("›")
    t.send("are you there\r")
    t.wait_for("still here")
    sent = server.chat_requests()[-1].body["messages"]
    tool = next(m for m in sent if m["role"] == "tool")
    assert "interrupted by the user after" in tool["content"] and "started" in tool["content"]
    t.send("\x04")
    assert t.wait_exit() == 0


def test_ctrl_c_at_a_command_prompt_refuses(env, server: WireServer, work) -> None:
    server.openai.push(tool_round(call("run_command", command="touch x")), openai_stream("no"))
    t = spawn(env, work, "ask", "touch")
    t.wait_for(ASK_COMMAND)
    t.send(CTRL_C)
    assert t.wait_exit() == 130
    assert "run it? [y]es / [n]o / [e]dit: ^C" in t.text()
    assert not (work / "x").exists()


def test_make_the_failing_test_pass(env, server: WireServer, work) -> None:
    """The issue's done-when, as a new user would: read, edit (approved), run pytest
    (approved), see it pass."""
    (work / "test_app.py").write_text(
        "from app import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n"
    )
    pytest_cmd = f"{sys.executable} -m pytest -q -p no:cacheprovider"
    server.openai.push(
        tool_round(call("read_file", path="test_app.py"), call("read_file", path="app.py")),
        tool_round(
            call("edit_file", path="app.py", old_string="return a - b", new_string="return a + b")
        ),
        tool_round(call("run_command", command=pytest_cmd)),
        openai_stream("The test passes now."),
    )
    t = spawn(env, work, "ask", "make the test pass")
    t.wait_for(ASK_CHANGE)
    assert "-    return a - b" in t.text() and "+    return a + b" in t.text()
    t.send("y")
    t.wait_for(ASK_COMMAND)
    t.send("y")
    assert t.wait_exit(30) == 0
    assert "The test passes now." in t.text()
    assert re.search(r"-> edit_file app.py  ok \+1 -1  \d+ ms", t.text())
    assert re.search(r"-> run_command .* exit 0", t.text())
    ran = results(server, 3)[0]
    assert "exit code 0" in ran and "1 passed" in ran
    assert (work / "app.py").read_text() == "def add(a, b):\n    return a + b\n"
    body = server.chat_requests()[0].body
    assert json.dumps(body["tools"]).count("edit_file") >= 2  # offered, and named by write_file
