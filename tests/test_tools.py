"""The coding tools over the real wire: the test server asks for tool calls (OpenAI streaming and
not, and Ollama), goshi runs them in the workspace, and the next request carries the results."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pexpect
import pytest

from goshi.store.engine import sqlite3
from tests.conftest import GOSHI
from tests.terminal import Term
from tests.wire_server import Handler, WireServer, ollama_stream, openai_stream


def call(name: str, **args: Any) -> tuple[str, str, str]:
    return (f"call_{name}", name, json.dumps(args))


def tool_round(*calls: tuple[str, str, str], usage: tuple[int, int, int] | None = None):  # type: ignore[no-untyped-def]
    return openai_stream([], tool_calls=list(calls), usage=usage)


def results(server: WireServer, request: int = 1) -> list[str]:
    """The tool results goshi sent back in request number `request`."""
    messages = server.chat_requests()[request].body["messages"]
    last = max(i for i, m in enumerate(messages) if m["role"] == "assistant")
    return [m["content"] for m in messages[last + 1 :] if m["role"] == "tool"]


@pytest.fixture
def work(home: Path) -> Path:
    root = home / "work"
    (root / "README.md").write_text("# Demo\n\nhello readme\n")
    (root / "src").mkdir()
    (root / "src" / "app.py").write_text("def main():\n    return 42  # TODO tidy\n")
    (root / "build").mkdir()
    (root / "build" / "out.py").write_text("# TODO generated\n")
    (root / ".gitignore").write_text("build/\n*.log\n")
    (root / "debug.log").write_text("TODO in a log\n")
    return root


def test_read_file_answers_from_the_file(goshi, server: WireServer, work: Path) -> None:
    server.openai.push(
        tool_round(call("read_file", path="README.md")), openai_stream("It says hello.")
    )
    r = goshi("ask", "what does README.md say?")
    assert (r.code, r.stdout, r.stderr) == (0, "It says hello.\n", "")
    first = server.chat_requests()[0].body
    assert [t["function"]["name"] for t in first["tools"]] == [
        "read_file",
        "list_dir",
        "search",
        "write_file",
        "edit_file",
        "run_command",
    ]
    assert first["tool_choice"] == "auto"
    second = server.chat_requests()[1].body["messages"]
    assert second[-2]["tool_calls"][0]["function"]["name"] == "read_file"
    assert second[-1] == {
        "role": "tool",
        "content": "# Demo\n\nhello readme\n",
        "tool_call_id": "call_read_file",
    }


def test_tool_lines_go_to_stderr_only_with_v(goshi, server: WireServer, work: Path) -> None:
    server.openai.push(tool_round(call("read_file", path="README.md")), openai_stream("ok"))
    r = goshi("ask", "-v", "read it")
    assert r.stdout == "ok\n"
    assert re.search(r"-> read_file README.md  ok 21 B  \d+ ms", r.stderr), r.stderr


def test_tools_without_streaming_and_parallel_calls(goshi, server, work: Path) -> None:
    server.openai.push(
        tool_round(call("read_file", path="README.md"), call("list_dir", path=".")),
        openai_stream("both done"),
    )
    r = goshi("ask", "--no-stream", "look around")
    assert r.stdout == "both done\n"
    assert server.chat_requests()[0].body["stream"] is False
    readme, listing = results(server)
    assert "hello readme" in readme
    assert listing.splitlines() == [".gitignore", "README.md", "src/"]


def test_ollama_tool_calls_run_too(goshi, server: WireServer, work: Path) -> None:
    server.ollama.push(
        ollama_stream("", tool_calls=[("read_file", {"path": "src/app.py"})]),
        ollama_stream("forty-two"),
    )
    r = goshi("ask", "-b", "ollama", "what does main return?")
    assert r.stdout == "forty-two\n"
    second = [r.body for r in server.chat_requests()][1]
    assert second["messages"][-2]["tool_calls"] == [
        {"function": {"name": "read_file", "arguments": {"path": "src/app.py"}}}
    ]
    assert "return 42" in second["messages"][-1]["content"]


def test_list_and_search_respect_gitignore(goshi, server: WireServer, work: Path) -> None:
    server.openai.push(
        tool_round(
            call("list_dir", path=".", recursive=True),
            call("search", pattern="TODO"),
            call("search", pattern="TODO", glob="*.md"),
            call("search", pattern="def (main"),
        ),
        openai_stream("done"),
    )
    assert goshi("ask", "survey").code == 0
    tree, found, none, bad = results(server)
    assert tree.splitlines() == [".gitignore", "README.md", "src/", "src/app.py"]
    assert found == "src/app.py:2: return 42  # TODO tidy"
    assert none == "no matches"
    assert bad.startswith("error: invalid regular expression")


def test_long_files_are_cut_with_a_marker_and_binaries_refused(goshi, server, work) -> None:
    (work / "big.txt").write_text("".join(f"line {i}\n" for i in range(1, 5001)))
    (work / "blob.bin").write_bytes(b"\x00\x01\x02binary")
    server.openai.push(
        tool_round(
            call("read_file", path="big.txt"),
            call("read_file", path="big.txt", start_line=4990, end_line=4992),
            call("read_file", path="blob.bin"),
        ),
        openai_stream("done"),
    )
    goshi("ask", "read")
    cut, ranged, binary = results(server)
    assert cut.count("\n") == 2001 and cut.startswith("line 1\n")
    assert cut.endswith("[cut: lines 1-2000 shown; call read_file with start_line=2001 to read on]")
    assert ranged == "line 4990\nline 4991\nline 4992\n"
    assert binary == "refused: blob.bin is a binary file; only text files can be read"


def test_every_escape_from_the_workspace_is_refused(goshi, server, work, home) -> None:
    (home / "secret.txt").write_text("top secret")
    os.symlink(home / "secret.txt", work / "link-out")
    os.symlink("/dev/null", work / "devnull")
    os.mkfifo(work / "fifo")
    os.symlink(home / "data", work / "goshi-data")
    (home / "workshop").mkdir()  # a sibling whose name starts with the workspace's
    (home / "workshop" / "secret.txt").write_text("top secret")
    server.openai.push(
        tool_round(
            call("read_file", path="../secret.txt"),
            call("read_file", path=str(home / "secret.txt")),
            call("read_file", path="link-out"),
            call("read_file", path="devnull"),
            call("read_file", path="fifo"),
            call("list_dir", path="goshi-data"),
            call("read_file", path="src/../../secret.txt"),
            call("write_file", path="../planted.txt", content="x"),
            call("read_file", path="../workshop/secret.txt"),
            call("write_file", path=str(home / "workshop" / "planted.txt"), content="x"),
        ),
        openai_stream("done"),
    )
    assert goshi("ask", "-y", "escape").code == 0
    replies = results(server)
    assert all(reply.startswith("refused:") for reply in replies), replies
    assert "outside the workspace" in replies[0] and "outside the workspace" in replies[2]
    assert "outside the workspace" in replies[3] and "FIFO" in replies[4]
    assert "outside the workspace" in replies[5]
    assert "outside the workspace" in replies[8] and "outside the workspace" in replies[9]
    assert not (home / "planted.txt").exists() and not (home / "workshop" / "planted.txt").exists()
    assert all("top secret" not in reply for reply in replies)


def test_goshis_own_files_are_off_limits_even_inside_the_workspace(goshi, server, work) -> None:
    server.openai.push(
        tool_round(call("list_dir", path=".data/goshi"), call("search", pattern="x", path=".")),
        openai_stream("done"),
    )
    assert goshi("ask", "look", XDG_DATA_HOME=str(work / ".data")).code == 0
    listing, search = results(server)
    assert listing == "refused: '.data/goshi' is inside goshi's own files; those are off limits"
    assert "goshi.db" not in search


def test_a_write_without_a_terminal_or_yes_is_refused(goshi, server, work: Path) -> None:
    server.openai.push(
        tool_round(call("write_file", path="LICENSE", content="MIT\n")),
        openai_stream("could not write"),
    )
    r = goshi("ask", "add a LICENSE file")
    assert r.code == 0 and not (work / "LICENSE").exists()
    assert results(server) == ["the user did not approve the change to LICENSE; it was not written"]


def test_yes_writes_atomically_and_keeps_the_mode(goshi, server, work: Path) -> None:
    script = work / "run.sh"
    script.write_text("echo old\n")
    script.chmod(0o755)
    server.openai.push(
        tool_round(call("read_file", path="run.sh")),
        tool_round(
            call("write_file", path="run.sh", content="echo new\n"),
            call("write_file", path="docs/NOTES.md", content="notes\n"),
        ),
        openai_stream("updated"),
    )
    r = goshi("ask", "-y", "update the script")
    assert r.stdout == "updated\n"
    assert script.read_text() == "echo new\n" and script.stat().st_mode & 0o777 == 0o755
    assert (work / "docs" / "NOTES.md").read_text() == "notes\n"
    assert "-echo old" in r.stderr and "+echo new" in r.stderr  # the diff is shown
    assert results(server, 2) == ["wrote run.sh (+1 -1 lines)", "wrote docs/NOTES.md (+1 -0 lines)"]
    assert not [p for p in work.rglob("*.goshi")]


def _drift(path: Path, then):  # type: ignore[no-untyped-def]
    def reply(h: Handler, body: dict[str, Any]) -> None:
        path.write_text("someone else changed this\n")
        then(h, body)

    return reply


def test_a_file_changed_since_it_was_read_is_not_overwritten(goshi, server, work) -> None:
    readme = work / "README.md"
    server.openai.push(
        tool_round(call("read_file", path="README.md")),
        _drift(readme, tool_round(call("write_file", path="README.md", content="mine\n"))),
        tool_round(call("write_file", path="src/app.py", content="unread\n")),
        openai_stream("gave up"),
    )
    goshi("ask", "-y", "rewrite")
    assert readme.read_text() == "someone else changed this\n"
    assert (
        results(server, 2)[-1] == "refused: README.md changed since you read it; read_file it again"
    )
    assert "you have not read it" in results(server, 3)[-1]
    assert "unread" not in (work / "src" / "app.py").read_text()


def test_bad_json_unknown_tool_and_bad_arguments_become_error_results(goshi, server, work):  # type: ignore[no-untyped-def]
    server.openai.push(
        tool_round(
            ("c1", "read_file", '{"path": "README.md"'),
            ("c2", "rm_rf", "{}"),
            ("c3", "read_file", '{"file": "README.md"}'),
        ),
        openai_stream("recovered"),
    )
    r = goshi("ask", "try")
    assert (r.code, r.stdout) == (0, "recovered\n")
    bad_json, unknown, bad_args = results(server)
    assert bad_json.startswith("error: the arguments are not valid JSON")
    assert unknown.startswith("error: no tool named 'rm_rf'; the tools are read_file,")
    assert bad_args.startswith("error: bad arguments for read_file")


def test_the_step_limit_stops_the_loop_and_says_so(goshi, server, work, home) -> None:
    (home / "steps.yaml").write_text("backend: openai\ntools: {max_steps: 2}\n")
    for _ in range(3):
        server.openai.push(tool_round(call("list_dir", path=".")))
    r = goshi("ask", "loop forever", GOSHI_CONFIG=str(home / "steps.yaml"))
    assert r.code == 0
    assert len(server.chat_requests()) == 3
    assert "stopped after 2 tool rounds" in r.stderr
    server.openai.push(openai_stream("fine"))
    assert goshi("ask", "-c", "go on", GOSHI_CONFIG=str(home / "steps.yaml")).code == 0
    last = server.chat_requests()[-1].body["messages"]
    assert last[-2]["content"].startswith("not run: goshi stopped after")


def test_usage_and_cost_are_summed_over_the_rounds(goshi, server, work) -> None:
    server.openai.push(
        tool_round(call("read_file", path="README.md"), usage=(1000, 20, 0)),
        openai_stream("answer", usage=(1100, 80, 1000)),
    )
    result = json.loads(goshi("ask", "--json", "read").stdout)
    assert result["usage"] == {"prompt_tokens": 2100, "completion_tokens": 100}
    expected = (1000 * 0.15 + 20 * 0.60 + 100 * 0.15 + 1000 * 0.075 + 80 * 0.60) / 1e6
    assert result["cost_usd"] == pytest.approx(expected, abs=1e-15)
    report = json.loads(goshi("cost", "--json", "--since", "2000-01-01").stdout)
    assert report["answers"] == 2 and report["total_usd"] == pytest.approx(expected)


def test_no_tools_sends_no_tools(goshi, server, work) -> None:
    assert goshi("ask", "--no-tools", "hi").code == 0
    assert "tools" not in server.chat_requests()[0].body


def test_the_audit_records_calls_with_secrets_redacted(goshi, server, work, home) -> None:
    server.openai.push(
        tool_round(
            call("search", pattern="x", api_key="sk-live-123", path="."),
            call("write_file", path="new.txt", content="a" * 50),
        ),
        openai_stream("done"),
    )
    cid = json.loads(goshi("ask", "--json", "-y", "go").stdout)["conversation_id"]
    db = sqlite3.connect(home / "data" / "goshi" / "goshi.db")
    rows = db.execute("SELECT tool, arguments, status FROM tool_calls").fetchall()
    assert rows[0][0] == "search" and rows[0][2] == "error"  # api_key is not an argument
    assert "sk-live-123" not in rows[0][1] and '"api_key": "[redacted]"' in rows[0][1]
    assert rows[1] == ("write_file", '{"path": "new.txt", "content": "<50 chars>"}', "ok")
    shown = goshi("history", "show", str(cid)).stdout
    assert "-> write_file" in shown and "<50 chars>" in shown and "sk-live-123" not in shown


def test_approval_in_a_terminal(env, home, server, work) -> None:
    server.openai.push(
        tool_round(call("write_file", path="LICENSE", content="MIT License\n")),
        openai_stream("Added."),
    )
    server.openai.push(
        tool_round(call("write_file", path="NOTICE", content="nope\n")), openai_stream("Skipped.")
    )

    def run(prompt: str, reply: str) -> Term:
        child = pexpect.spawn(
            GOSHI,
            ["ask", prompt],
            cwd=str(work),
            env={**env, "TERM": "xterm"},
            encoding="utf-8",
            timeout=15,
            dimensions=(30, 100),
        )
        term = Term(child, 30, 100)
        term.wait_for(r"\[y\]es / \[n\]o / \[a\]lways this session:")
        assert "+MIT License" in term.text() or "+nope" in term.text()
        term.send(reply)  # one key, no Enter
        term.wait_exit()
        return term

    yes = run("add a LICENSE", "y")
    assert (work / "LICENSE").read_text() == "MIT License\n"
    assert "Added." in yes.text() and "-> write_file LICENSE  ok +1 -0" in yes.text()
    no = run("add a NOTICE", "n")
    assert not (work / "NOTICE").exists() and "not approved" in no.text()


def test_a_model_without_tool_support_still_answers(goshi, server, work) -> None:
    from tests.wire_server import ollama_error

    server.ollama.push(
        ollama_error(400, "registry.ollama.ai/library/gemma:2b does not support tools"),
        ollama_stream("answered without tools"),
    )
    r = goshi("ask", "-b", "ollama", "hi")
    assert (r.code, r.stdout) == (0, "answered without tools\n")
    assert "does not support tools; answering without tools" in r.stderr
    first, second = [req.body for req in server.chat_requests()]
    assert "tools" in first and "tools" not in second


def test_openai_itself_gets_max_completion_tokens(goshi, server, work) -> None:
    from goshi.config import HttpSettings, OpenAISettings
    from goshi.llm.openai import OpenAIBackend

    own = OpenAIBackend(OpenAISettings(), HttpSettings(), "sk-x")
    local = OpenAIBackend(OpenAISettings(base_url=f"{server.url}/v1"), HttpSettings(), None)
    assert (own.cap_field, local.cap_field) == ("max_completion_tokens", "max_tokens")
    assert goshi("ask", "--max-cost", "1", "hi").code == 0
    assert server.chat_requests()[0].body["max_tokens"] == 32_768
