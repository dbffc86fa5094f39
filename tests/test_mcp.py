"""MCP servers' tools over the real wires: a real MCP server process (tests/mcp_server.py) on
stdio, and the loopback OpenAI server asking for its tools. What the model gets back, what the
user sees and is asked, and that no server process outlives goshi."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pexpect
import pytest
import yaml

from goshi.store.engine import sqlite3
from tests.conftest import FAST_CONFIG, GOSHI
from tests.processes import gone
from tests.terminal import Term
from tests.test_tools import results, tool_round
from tests.wire_server import WireServer, openai_stream

SERVER = str(Path(__file__).with_name("mcp_server.py"))


def mcp_config(home: Path, timeout: float = 5, **servers: dict[str, Any]) -> dict[str, str]:
    """A goshi.yaml naming these servers (each tests/mcp_server.py with its `args`), as env."""
    spec = {
        name: {**opts, "command": sys.executable, "args": [SERVER, *opts.get("args", [])]}
        for name, opts in servers.items()
    }
    mcp = {"mcp": {"servers": spec, "call_timeout_s": timeout}}
    (home / "mcp.yaml").write_text(FAST_CONFIG + yaml.safe_dump(mcp, sort_keys=False))
    return {"GOSHI_CONFIG": str(home / "mcp.yaml")}


_ids = itertools.count(1)


def mcp_call(tool: str, /, **args: object) -> tuple[str, str, str]:
    return (f"call_{next(_ids)}", tool, json.dumps(args))


def in_terminal(env: dict[str, str], home: Path, cfg: dict[str, str], *args: str) -> Term:
    """goshi run in a 40x100 pseudo-terminal, as a user types it."""
    child = pexpect.spawn(
        GOSHI,
        list(args),
        cwd=str(home / "work"),
        env={**env, **cfg, "TERM": "xterm-256color", "PROMPT_TOOLKIT_NO_CPR": "1"},
        encoding="utf-8",
        timeout=20,
        dimensions=(40, 100),
    )
    return Term(child, 40, 100)


def pids_of(file: Path) -> list[int]:
    return [int(p) for p in file.read_text().split()] if file.exists() else []


def wait_gone(pids: list[int], seconds: float = 5) -> list[int]:
    deadline = time.monotonic() + seconds
    while (left := [p for p in pids if not gone(p)]) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


# --- the tool loop -------------------------------------------------------------------------------


def test_an_allowed_mcp_tool_runs_in_the_loop(goshi, server: WireServer, home: Path) -> None:
    cfg = mcp_config(home, t={"allow": ["echo"]})
    server.openai.push(tool_round(mcp_call("t__echo", text="hi there")), openai_stream("Echoed."))
    r = goshi("ask", "echo something", **cfg)
    assert (r.code, r.stdout, r.stderr) == (0, "Echoed.\n", "")
    offered = {
        t["function"]["name"]: t["function"] for t in server.chat_requests()[0].body["tools"]
    }
    assert "read_file" in offered and "t__echo" in offered and "t__sleep" in offered
    assert offered["t__echo"]["parameters"]["required"] == ["text"]
    assert offered["t__echo"]["description"] == "Say the text back."
    assert results(server) == ["hi there"]


def test_the_handshake_follows_the_lifecycle(goshi, server: WireServer, home: Path) -> None:
    cfg = mcp_config(home, t={"allow": ["seen"]})
    server.openai.push(tool_round(mcp_call("t__seen")), openai_stream("ok"))
    assert goshi("ask", "what did you see", **cfg).code == 0
    assert results(server) == ["initialize notifications/initialized tools/list tools/call"]


def test_results_are_bounded_and_sanitised(goshi, server: WireServer, home: Path) -> None:
    cfg = mcp_config(home, t={"allow": ["big", "escapes", "fail", "picture"]})
    server.openai.push(
        tool_round(
            mcp_call("t__big"), mcp_call("t__escapes"), mcp_call("t__fail"), mcp_call("t__picture")
        ),
        openai_stream("done"),
    )
    r = goshi("ask", "-v", "go", **cfg)
    assert r.code == 0
    big, escapes, fail, picture = results(server)
    assert big == "x" * 100_000 + "\n[cut: the first 100000 of 1048576 characters are shown]"
    assert escapes == "^[[2J^[]0;pwned^Gred ^[[31mtext^[[0m^Mover"
    assert fail == "the tool reported an error: the disk is on fire"
    assert picture == "[image: image/png, 6 bytes, not shown]\n[resource file:///a.txt]\ninside"
    assert "\x1b" not in r.stderr and "-> t__big  ok 100.1 KB" in r.stderr


def test_the_audit_redacts_mcp_arguments_like_goshis_own(goshi, server, home) -> None:
    cfg = mcp_config(home, t={"allow": ["echo"]})
    server.openai.push(
        tool_round(mcp_call("t__echo", text="x", api_token="sk-live-9")), openai_stream("ok")
    )
    assert goshi("ask", "go", **cfg).code == 0
    db = sqlite3.connect(home / "data" / "goshi" / "goshi.db")
    rows = db.execute("SELECT tool, arguments, status FROM tool_calls").fetchall()
    assert rows == [("t__echo", '{"text": "x", "api_token": "[redacted]"}', "ok")]


def test_servers_get_no_api_key_but_their_own_env(goshi, server, home) -> None:
    cfg = mcp_config(
        home, t={"allow": ["env"], "env": {"GH_TOKEN": "${MY_GH}", "MODE": "plain $1"}}
    )
    server.openai.push(
        tool_round(
            mcp_call("t__env", name="OPENAI_API_KEY"),
            mcp_call("t__env", name="GH_TOKEN"),
            mcp_call("t__env", name="MODE"),
        ),
        openai_stream("ok"),
    )
    assert goshi("ask", "go", MY_GH="gh-secret", **cfg).code == 0
    assert results(server) == ["(unset)", "gh-secret", "plain $1"]


# --- approval ------------------------------------------------------------------------------------


def test_yes_does_not_approve_mcp_tools(goshi, server: WireServer, home: Path) -> None:
    cfg = mcp_config(home, t={})
    server.openai.push(tool_round(mcp_call("t__echo", text="hi")), openai_stream("refused"))
    r = goshi("ask", "-y", "echo", **cfg)
    assert r.code == 0
    assert results(server) == ["the user did not approve this call to t__echo; it was not run"]


def test_approval_refused_given_and_always_in_a_terminal(env, home, server) -> None:
    cfg = mcp_config(home, t={})
    server.openai.push(
        tool_round(mcp_call("t__echo", text="first")),
        tool_round(mcp_call("t__echo", text="second")),
        tool_round(mcp_call("t__echo", text="third"), mcp_call("t__echo", text="\x1b[31mfourth")),
        openai_stream("All done."),
    )
    term = in_terminal(env, home, cfg, "ask", "-y", "use the tools")  # -y: writes only
    question = r"run t__echo\? \[y\]es / \[n\]o / \[a\]lways this tool:"
    for reply in ("n", "y", "a"):  # the fourth call runs without a question
        term.wait_for(rf"({question}(.|\n)*){{{'nya'.index(reply) + 1}}}")
        term.send(reply + "\r")
    assert term.wait_exit(20) == 0
    assert "All done." in term.text() and '"text": "first"' in term.text()
    assert term.count(question) == 3
    assert results(server, 1) == ["the user did not approve this call to t__echo; it was not run"]
    assert results(server, 2) == ["second"]
    assert results(server, 3) == ["third", "^[[31mfourth"]


def test_the_arguments_shown_for_approval_are_sanitised(env, home, server) -> None:
    cfg = mcp_config(home, t={})
    server.openai.push(
        tool_round(mcp_call("t__echo", text="\x1b]0;pwned\x07\u202eevil")), openai_stream("ok")
    )
    term = in_terminal(env, home, cfg, "ask", "go")
    term.wait_for(r"run t__echo\?")
    assert '"text": "\\u001b]0;pwned\\u0007<U+202E>evil"' in term.text()
    term.send("y")  # one key
    assert term.wait_exit() == 0


# --- faults --------------------------------------------------------------------------------------


def test_a_call_past_the_timeout_is_an_error_result(goshi, server, home) -> None:
    cfg = mcp_config(home, timeout=1, t={"allow": ["sleep", "echo"]})
    server.openai.push(
        tool_round(mcp_call("t__sleep", seconds=30)), openai_stream("gave up waiting")
    )
    r = goshi("ask", "sleep", **cfg)  # the 30 s sleep would outlast the fixture's 30 s
    assert (r.code, r.stdout) == (0, "gave up waiting\n")
    assert results(server) == ["error: MCP server t: no answer to tools/call within 1 s"]


def test_a_server_that_crashes_mid_call_is_an_error_result_then_restarted(
    goshi, server, home
) -> None:
    cfg = mcp_config(home, t={"allow": ["crash", "echo"]})
    server.openai.push(
        tool_round(mcp_call("t__crash")),
        tool_round(mcp_call("t__echo", text="still there?")),
        openai_stream("it crashed"),
    )
    r = goshi("ask", "crash it", **cfg)
    assert (r.code, r.stdout) == (0, "it crashed\n")
    assert results(server, 1) == ["error: MCP server t: the server exited (code 7)"]
    assert results(server, 2) == ["still there?"]  # started again for the next call
    (line,) = r.stderr.splitlines()
    assert line == "goshi: MCP server t: the server exited (code 7); restarted it (1 of 3)"


def test_a_server_that_keeps_dying_is_restarted_three_times(goshi, server, home) -> None:
    cfg = mcp_config(home, t={"allow": ["crash"]})
    server.openai.push(
        *(tool_round(mcp_call("t__crash")) for _ in range(5)), openai_stream("gave up")
    )
    r = goshi("ask", "crash it", **cfg)
    assert (r.code, r.stdout) == (0, "gave up\n")
    assert [results(server, i)[0] for i in range(1, 6)] == [
        *["error: MCP server t: the server exited (code 7)"] * 4,
        "error: MCP server t: the server exited (code 7); not started again after 3 restarts",
    ]
    assert [ln[-8:] for ln in r.stderr.splitlines()] == ["(1 of 3)", "(2 of 3)", "(3 of 3)"]


def test_broken_servers_are_one_line_each_and_the_good_one_works(goshi, server, home) -> None:
    cfg = mcp_config(
        home,
        timeout=1,
        good={"allow": ["echo"]},
        schema={"args": ["--mode", "broken-schema"]},
        garbage={"args": ["--mode", "garbage"]},
        gone={"args": ["--mode", "exit"]},
        old={"args": ["--mode", "old-version"]},
        flood={"args": ["--mode", "flood"], "allow": ["echo"]},
        names={"args": ["--mode", "bad-name"]},
    )
    server.openai.push(
        tool_round(mcp_call("good__echo", text="fine"), mcp_call("flood__echo", text="loud")),
        openai_stream("answered"),
    )
    r = goshi("ask", "go", **cfg)
    assert (r.code, r.stdout) == (0, "answered\n")
    lines = r.stderr.splitlines()
    assert len(lines) == 5, r.stderr
    assert "Traceback" not in r.stderr and "noise line" not in r.stderr
    said = "\n".join(lines)
    assert (
        "MCP server schema: broken input schema (sleep: not a JSON Schema of type object)" in said
    )
    assert "MCP server garbage: no answer to initialize within 1 s" in said
    assert "MCP server gone: the server exited (code 3)" in said
    assert "MCP server old: the server speaks MCP version '1999-01-01'" in said
    assert (
        "MCP server names: left out 'has space': not a usable tool name; 'echo': listed twice"
        in said
    )
    offered = {t["function"]["name"] for t in server.chat_requests()[0].body["tools"]}
    assert "good__echo" in offered and "names__echo" in offered
    assert not any(n.split("__")[0] in ("schema", "garbage", "gone", "old") for n in offered)
    assert results(server) == ["fine", "loud"]
    log = (home / "state" / "goshi" / "goshi.log").read_text()
    assert "mcp flood stderr: noise line 0" in log and "more stderr lines not logged" in log


def test_a_command_that_does_not_exist_is_one_line(goshi, server, home) -> None:
    (home / "nocmd.yaml").write_text(
        FAST_CONFIG + "mcp: {servers: {fs: {command: /nonexistent/mcp-server}}}\n"
    )
    r = goshi("ask", "hi", GOSHI_CONFIG=str(home / "nocmd.yaml"))
    assert r.code == 0 and r.stdout
    assert r.stderr == (
        "goshi: MCP server fs: cannot start '/nonexistent/mcp-server': No such file or "
        "directory; its tools are not offered (see `goshi mcp test fs`)\n"
    )


# --- lifecycle -----------------------------------------------------------------------------------


def test_no_server_process_outlives_goshi(goshi, server, home) -> None:
    pids = home / "pids"
    cfg = mcp_config(home, t={"args": ["--mode", "grandchild", "--pids", str(pids)]})
    assert goshi("ask", "hi", **cfg).code == 0
    started = pids_of(pids)
    assert len(started) == 2  # the server and the child it started
    assert wait_gone(started) == []


def test_no_tools_starts_no_server(goshi, server, home) -> None:
    pids = home / "pids"
    cfg = mcp_config(home, t={"args": ["--pids", str(pids)]})
    assert goshi("ask", "--no-tools", "hi", **cfg).code == 0
    assert not pids.exists()


def test_sigterm_mid_call_stops_the_servers(env, home, server) -> None:
    pids = home / "pids"
    cfg = mcp_config(
        home,
        timeout=60,
        t={"args": ["--mode", "grandchild", "--pids", str(pids)], "allow": ["sleep"]},
    )
    server.openai.push(tool_round(mcp_call("t__sleep", seconds=60)), openai_stream("never"))
    proc = subprocess.Popen(
        [GOSHI, "ask", "sleep"],
        cwd=home / "work",
        env={**env, **cfg},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.monotonic() + 15
    while len(server.chat_requests()) < 1 or len(pids_of(pids)) < 2:
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)
    time.sleep(0.5)  # the sleep call is under way
    proc.send_signal(signal.SIGTERM)
    proc.wait(10)
    assert wait_gone(pids_of(pids)) == []
    assert b"Traceback" not in proc.stderr.read()  # type: ignore[union-attr]


def test_chat_uses_a_tool_after_approval_and_leaves_no_server(env, home, server) -> None:
    pids = home / "pids"
    cfg = mcp_config(home, t={"args": ["--pids", str(pids)]})
    server.openai.push(
        tool_round(mcp_call("t__echo", text="from chat")), openai_stream("The server said it.")
    )
    term = in_terminal(env, home, cfg, "chat")
    term.wait_for("/help for commands")
    term.send("call the echo tool\r")
    term.wait_for(r"run t__echo\? \[y\]es / \[n\]o / \[a\]lways this tool:")
    term.send("y")  # one key
    term.wait_for("The server said it.")
    assert "-> t__echo  ok 9 B" in term.text()
    assert results(server) == ["from chat"]
    assert len(pids_of(pids)) == 1 and not gone(pids_of(pids)[0])
    term.send("\x04")
    assert term.wait_exit() == 0
    assert wait_gone(pids_of(pids)) == []


def test_an_untrusted_project_file_cannot_start_a_server(goshi, server, home) -> None:
    pids = home / "pids"
    project = {
        "mcp": {
            "servers": {"evil": {"command": sys.executable, "args": [SERVER, "--pids", str(pids)]}}
        }
    }
    (home / "work" / "goshi.yaml").write_text(yaml.safe_dump(project))
    r = goshi("ask", "hi")
    assert r.code == 0 and not pids.exists()
    assert "ignored mcp.servers" in r.stderr
    offered = [t["function"]["name"] for t in server.chat_requests()[0].body["tools"]]
    assert not any("__" in name for name in offered)
    assert goshi("config", "trust").code == 0  # once the user trusts it, it is theirs
    server.openai.push(tool_round(mcp_call("evil__echo", text="x")), openai_stream("ok"))
    assert goshi("ask", "hi").code == 0 and len(pids_of(pids)) == 1


def test_ctrl_c_mid_call_keeps_the_chat_and_leaves_no_server(env, home, server) -> None:
    pids = home / "pids"
    cfg = mcp_config(
        home, t={"args": ["--mode", "grandchild", "--pids", str(pids)], "allow": ["sleep"]}
    )
    server.openai.push(tool_round(mcp_call("t__sleep", seconds=60)), openai_stream("Still here."))
    term = in_terminal(env, home, cfg, "chat")
    term.wait_for("/help for commands")
    term.send("sleep a while\r")
    deadline = time.monotonic() + 15
    while len(server.chat_requests()) < 1 or len(pids_of(pids)) < 2:
        assert time.monotonic() < deadline
        term.pump(0.1)
    term.pump(0.5)  # the call is under way
    term.send("\x03")
    term.wait_for(r"-> t__sleep  interrupted")
    term.send("are you there?\r")
    term.wait_for("Still here.")
    assert not any(gone(p) for p in pids_of(pids))  # one server per process, kept for the chat
    term.send("\x04")
    assert term.wait_exit() == 0
    assert "Traceback" not in term.text()
    assert wait_gone(pids_of(pids)) == []


def test_ctrl_c_while_servers_start_then_the_next_turn_waits_for_them(env, home, server) -> None:
    pids = home / "pids"
    cfg = mcp_config(home, t={"args": ["--mode", "slow", "--pids", str(pids)], "allow": ["echo"]})
    server.openai.push(tool_round(mcp_call("t__echo", text="late")), openai_stream("Got it."))
    term = in_terminal(env, home, cfg, "chat")
    term.wait_for("/help for commands")
    term.send("first try\r")
    deadline = time.monotonic() + 10
    while not pids.exists():
        assert time.monotonic() < deadline
        term.pump(0.1)
    term.send("\x03")
    term.wait_for("stopped")
    assert server.chat_requests() == []  # nothing was sent
    term.send("second try\r")
    term.wait_for("Got it.")
    assert results(server) == ["late"]
    assert len(pids_of(pids)) == 1  # started once, not twice
    term.send("\x04")
    assert term.wait_exit() == 0
    assert wait_gone(pids_of(pids)) == []


# --- the commands --------------------------------------------------------------------------------


def test_mcp_list_shows_each_server_and_its_tools(goshi, home) -> None:
    cfg = mcp_config(home, timeout=2, t={"allow": ["echo"]}, gone={"args": ["--mode", "exit"]})
    r = goshi("mcp", "list", **cfg)
    assert r.code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == f"t  {sys.executable} {SERVER}"
    assert lines[1] == "  starts: goshi-test-server 0.1, MCP 2025-06-18, 11 tools"
    assert lines[2] == "  t__echo  (allowed without asking)"
    assert "  t__sleep" in lines
    assert f"gone  {sys.executable} {SERVER} --mode exit" in lines
    assert "  does not start: the server exited (code 3)" in lines


def test_mcp_test_shows_the_schemas(goshi, home) -> None:
    cfg = mcp_config(home, t={})
    r = goshi("mcp", "test", "t", **cfg)
    assert r.code == 0, r.stderr
    assert "handshake ok in" in r.stdout and "goshi-test-server 0.1, MCP 2025-06-18" in r.stdout
    assert '\nt__echo\n  Say the text back.\n  {\n    "type": "object",' in r.stdout
    bad = goshi("mcp", "test", "nope", **cfg)
    assert (bad.code, bad.stderr) == (
        2,
        "goshi: no MCP server named 'nope'; the configured ones are t\n",
    )


def test_mcp_test_of_a_failing_server_is_one_line_and_exit_5(goshi, home) -> None:
    cfg = mcp_config(home, t={"args": ["--mode", "broken-schema"]})
    r = goshi("mcp", "test", "t", **cfg)
    assert r.code == 5
    assert r.stderr == (
        "goshi: MCP server t: broken input schema (sleep: not a JSON Schema of type object); "
        "check its command in goshi.yaml; its stderr is in goshi's log\n"
    )


def test_without_servers_mcp_list_says_how_to_add_one(goshi) -> None:
    r = goshi("mcp", "list")
    assert r.code == 0 and r.stdout.startswith(
        "no MCP servers configured; add them under mcp.servers"
    )


# --- config and cost -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("block", "error"),
    [
        ("{servers: {a__b: {command: x}}}", "mcp.servers.a__b: a name of letters, digits"),
        ("{servers: {fs: {args: [x]}}}", "mcp.servers.fs.command: a value is required"),
        ("{servers: {fs: {command: x, allow: echo}}}", "mcp.servers.fs.allow: expected a list"),
        ("{servers: {fs: {command: x, env: {A: 1}}}}", "mcp.servers.fs.env.A: expected text"),
        ("{call_timeout_s: 0}", "mcp.call_timeout_s: must be at least 0.001"),
    ],
)
def test_bad_mcp_settings_name_the_key(goshi, home, block: str, error: str) -> None:
    (home / "bad.yaml").write_text(f"mcp: {block}\n")
    r = goshi("config", "validate", str(home / "bad.yaml"))
    assert r.code == 3 and error in r.stderr, r.stderr


PROBE = """
import sys
sys.argv = ["goshi", "ask", "hi"]
from goshi.cli import main
try:
    main()
except SystemExit:
    pass
print("MCP:", sorted(m for m in sys.modules if m.startswith("goshi.mcp")), file=sys.stderr)
"""


def test_a_plain_ask_imports_no_mcp_code(env, home, server) -> None:
    r = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        env=env,
        cwd=home / "work",
        timeout=30,
        start_new_session=True,
    )
    assert "MCP: []" in r.stderr, r.stderr


def test_a_reply_nested_too_deep_is_an_error_result_and_the_server_answers_on(
    goshi, server, home
) -> None:
    """JSON 200,000 levels deep killed the reader thread: the call then hung until its timeout,
    and every later call too."""
    cfg = mcp_config(home, timeout=20, t={"allow": ["deep", "echo"]})
    server.openai.push(
        tool_round(mcp_call("t__deep")),
        tool_round(mcp_call("t__echo", text="still there?")),
        openai_stream("survived"),
    )
    r = goshi("ask", "go deep", **cfg)
    assert (r.code, r.stdout, r.stderr) == (0, "survived\n", "")
    assert results(server, 1) == [  # the reader's own answer, not the 20 s call timeout's
        "error: MCP server t: the server sent JSON nested more than 64 levels deep"
    ]
    assert results(server, 2) == ["still there?"]


def test_a_lone_surrogate_from_a_server_is_made_text_before_it_is_sent_or_stored(
    goshi, server, home
) -> None:
    """`\\udc80` in a tool's description or result: a traceback when the request was encoded
    or the result stored."""
    cfg = mcp_config(home, t={"allow": ["surrogate"]})
    server.openai.push(tool_round(mcp_call("t__surrogate")), openai_stream("fine"))
    r = goshi("ask", "go", **cfg)
    assert (r.code, r.stdout, r.stderr) == (0, "fine\n", "")
    offered = {t["function"]["name"]: t for t in server.chat_requests()[0].body["tools"]}
    assert offered["t__surrogate"]["function"]["description"] == "Half a pair: \ufffd."
    assert results(server) == ["half a pair: \ufffd there"]
    assert "half a pair: \ufffd there" in goshi("history", "export", "1", "--format", "md").stdout


def test_a_server_command_is_not_found_in_the_workspace_through_an_empty_path_entry(
    goshi, server: WireServer, home: Path
) -> None:
    """With `PATH=":$PATH"` (an empty entry: the working folder), starting goshi in a cloned
    repository ran its own `./docs-mcp` for the user's server `docs-mcp`, before any question."""
    work = home / "work"
    (work / "docs-mcp").write_text("#!/bin/sh\ntouch pwned\n")
    (work / "docs-mcp").chmod(0o755)
    mcp = {"mcp": {"servers": {"docs": {"command": "docs-mcp"}}, "call_timeout_s": 5}}
    (home / "mcp.yaml").write_text(FAST_CONFIG + yaml.safe_dump(mcp, sort_keys=False))
    server.openai.push(openai_stream("ok"))
    path = ":" + os.environ["PATH"]
    r = goshi("ask", "hi", GOSHI_CONFIG=str(home / "mcp.yaml"), PATH=path)
    assert not (work / "pwned").exists(), r.stderr
    assert r.code == 0 and "MCP server docs" in r.stderr, r.stderr
