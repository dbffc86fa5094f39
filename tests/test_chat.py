"""`goshi chat` in a real pseudo-terminal: what a user types, and what the screen shows."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest

from goshi.store.engine import sqlite3
from tests.conftest import GOSHI
from tests.terminal import Term
from tests.wire_server import WireServer, openai_error, openai_stream

ROWS, COLS = 30, 100
ENTER, ALT_ENTER, CTRL_C, CTRL_D = "\r", "\x1b\r", "\x03", "\x04"


class ChatTerm(Term):
    prompts = 0

    def prompt(self, timeout: float = 15) -> None:
        """Wait for the next empty prompt at the bottom: the previous turn is over."""
        self.prompts += 1
        deadline = time.monotonic() + timeout
        while True:
            self.pump()
            lines = [line for line in self.lines() if line.strip()]
            ready = sum(line.startswith("›") for line in lines) >= self.prompts
            if ready and lines and lines[-1] == "›":
                return
            if self.eof or time.monotonic() > deadline:
                raise AssertionError(f"no prompt #{self.prompts}; the screen:\n{self.text()}")

    def say(self, text: str) -> None:
        self.send(text + ENTER)


@pytest.fixture
def chat(env, home) -> Iterator:  # type: ignore[type-arg]
    terms: list[ChatTerm] = []

    def start(*args: str) -> ChatTerm:
        child = pexpect.spawn(
            GOSHI,
            ["chat", *args],
            cwd=str(home / "work"),
            encoding="utf-8",
            timeout=15,
            dimensions=(ROWS, COLS),
            env={**env, "TERM": "xterm-256color", "PROMPT_TOOLKIT_NO_CPR": "1"},
        )
        term = ChatTerm(child, ROWS, COLS)
        terms.append(term)
        term.prompt()
        return term

    yield start
    for term in terms:
        term.child.close(force=True)


def user_messages(server: WireServer) -> list[str]:
    return [r.body["messages"][-1]["content"] for r in server.chat_requests()]


def test_an_answer_streams_with_a_cost_footer_and_ctrl_d_leaves(chat, server) -> None:
    server.openai.push(openai_stream("Here is **bold** and `code`.", usage=(40, 9, 0)))
    t = chat()
    t.say("explain")
    t.wait_for("Here is bold and code.")
    t.wait_for(r"40 in / 9 out · \$0\.000011 · session \$0\.000011")
    t.prompt()
    t.send(CTRL_D)
    assert t.wait_exit() == 0
    assert t.count(r"· session \$") == 1  # the footer is never left behind twice


def test_ctrl_c_stops_the_answer_keeps_it_and_the_chat_goes_on(chat, server, home) -> None:
    server.openai.push(openai_stream([f"w{i} " for i in range(300)], delay_s=0.02))
    server.openai.push(openai_stream("second answer"))
    t = chat()
    t.say("long one")
    t.wait_for("w5 ")
    t.send(CTRL_C)
    t.wait_for("stopped; the partial answer is kept")
    t.prompt()
    t.say("next")
    t.wait_for("second answer")
    t.prompt()
    db = sqlite3.connect(home / "data" / "goshi" / "goshi.db")
    rows = db.execute("SELECT role, status FROM messages ORDER BY id").fetchall()
    assert rows == [
        ("user", "ok"),
        ("assistant", "interrupted"),
        ("user", "ok"),
        ("assistant", "ok"),
    ]
    partial = db.execute("SELECT content FROM messages WHERE status='interrupted'").fetchone()[0]
    assert partial.startswith("w0 w1 w2") and "w299" not in partial
    sent = server.chat_requests()[1].body["messages"]
    assert sent[1] == {"role": "assistant", "content": partial}


def test_ctrl_c_while_typing_clears_the_line(chat, server) -> None:
    t = chat()
    t.send("never sent")
    t.send(CTRL_C)
    t.prompt()
    t.say("sent")
    t.wait_for("Hello from the test server.")
    assert user_messages(server) == ["sent"]


def test_a_multi_line_paste_is_one_message(chat, server) -> None:
    t = chat()
    t.send("\x1b[200~line one\nline two\nline three\x1b[201~")
    t.send(ENTER)
    t.wait_for("Hello from the test server.")
    assert user_messages(server) == ["line one\nline two\nline three"]


def test_alt_enter_inserts_a_newline(chat, server) -> None:
    t = chat()
    t.send("first" + ALT_ENTER + "second" + ENTER)
    t.wait_for("Hello from the test server.")
    assert user_messages(server) == ["first\nsecond"]


def test_slash_commands(chat, server, home: Path) -> None:
    t = chat()
    t.say("/help")
    t.wait_for(r"/retry +ask the last question again")
    t.wait_for(r"Alt\+Enter")
    t.prompt()
    t.say("/model gpt-4.1")
    t.wait_for("model: gpt-4.1")
    t.prompt()
    t.say("q1")
    t.prompt()
    t.say("/retry")
    t.prompt()
    t.say("/cost")
    t.wait_for(r"conversation \d+: \$0\.0000\d+ · today: \$")
    t.prompt()
    t.say(f"/save {home / 'chat.md'}")
    t.wait_for("saved conversation")
    t.prompt()
    t.say("/system be brief")
    t.wait_for("system prompt set")
    t.prompt()
    t.say("/clear")
    t.wait_for("new conversation")
    t.prompt()
    t.say("q2")
    t.prompt()
    t.say("/nope")
    t.wait_for("unknown command /nope")
    t.prompt()
    t.say("/exit")
    assert t.wait_exit() == 0
    requests = server.chat_requests()
    assert [r.body["model"] for r in requests] == ["gpt-4.1"] * 3
    assert [m["content"] for m in requests[1].body["messages"]] == ["q1"]  # the retry
    assert [m["content"] for m in requests[2].body["messages"]] == ["q2"]  # after /clear
    saved = (home / "chat.md").read_text()
    assert "## You\n\nq1" in saved and "## goshi\n\nHello from the test server." in saved
    assert saved.count("## goshi") == 1  # the retried answer replaced the first


def test_history_is_visible_from_another_process_and_chat_c_continues(chat, goshi, server) -> None:
    server.openai.push(openai_stream("remembered answer"))
    t = chat()
    t.say("remember this")
    t.wait_for("remembered answer")
    t.prompt()
    t.send(CTRL_D)
    assert t.wait_exit() == 0
    listing = goshi("history")
    assert listing.code == 0 and "remember this" in listing.stdout
    header, row = listing.stdout.splitlines()
    assert header.split() == ["ID", "STARTED", "MODEL", "TURNS", "COST", "FIRST", "QUESTION"]
    assert row.split()[4] == "1"  # one turn, under TURNS
    cid = row.split()[0]
    shown = goshi("history", "show", cid).stdout
    assert "remember this" in shown and "remembered answer" in shown
    exported = json.loads(goshi("history", "export", cid, "--format", "json").stdout)
    assert [m["role"] for m in exported["messages"]] == ["user", "assistant"]
    again = chat("-c")
    again.say("and now?")
    again.wait_for("Hello from the test server.")
    contents = [m["content"] for m in server.chat_requests()[-1].body["messages"]]
    assert contents == ["remember this", "remembered answer", "and now?"]
    assert goshi("history", "rm", cid).code == 0
    assert goshi("history", "show", cid).code == 2


def test_an_error_in_a_turn_does_not_end_the_chat(chat, server) -> None:
    server.openai.push(openai_error(400, "bad request body"))
    t = chat()
    t.say("hi")
    t.wait_for("HTTP 400: bad request body")
    t.prompt()
    t.say("again")
    t.wait_for("Hello from the test server.")


def test_chat_without_a_terminal_says_so(goshi) -> None:
    r = goshi("chat")
    assert r.code == 2 and "needs a terminal" in r.stderr


def test_the_footer_is_live_while_streaming(chat, server) -> None:
    server.openai.push(openai_stream([f"t{i} " for i in range(150)], delay_s=0.02))
    t = chat()
    t.say("go")
    t.wait_for(r"~\d+ in / ~\d+ out · ~\$")  # estimates while the answer streams
    t.wait_for(r"\d+ in / 150 out · \$")
    t.prompt()
    assert "~" not in t.lines()[-3]


def test_one_pooled_connection_serves_the_whole_chat(chat, server) -> None:
    t = chat()
    for question in ("one", "two", "three"):
        t.say(question)
        t.prompt()
    ports = [r.client_port for r in server.chat_requests()]
    assert len(ports) == 3 and len(set(ports)) == 1  # turns 2 and 3 opened no new connection


def test_ctrl_c_at_an_approval_prompt_writes_nothing_and_the_chat_goes_on(
    chat, server, home
) -> None:
    from tests.wire_server import openai_stream as reply

    write = ("call_w", "write_file", json.dumps({"path": "NEW.md", "content": "x\n"}))
    server.openai.push(reply([], tool_calls=[write]), reply("after"))
    t = chat()
    t.say("make a file")
    t.wait_for(r"\[y\]es / \[n\]o / \[a\]lways this session:")
    t.send(CTRL_C)
    t.wait_for("stopped; the partial answer is kept")
    t.prompt()
    t.say("next")
    t.wait_for("after")
    assert not (home / "work" / "NEW.md").exists()
    sent = server.chat_requests()[-1].body["messages"]
    assert sent[2] == {
        "role": "tool",
        "content": "not run: the user interrupted goshi",
        "tool_call_id": "call_w",
    }
