"""Hostile sizes from a server or a model: JSON nested 200,000 deep, lone surrogates in tool
arguments, thousands of tool calls in one answer. Each ends in one line and the documented exit
code, or in a tool error the model can read while the turn goes on; never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

from goshi.store.engine import sqlite3
from tests.conftest import Result
from tests.faults import assert_clean
from tests.test_tools import results, tool_round
from tests.wire_server import WireServer, openai_stream, static

DEEP = b"[" * 200_000 + b"]" * 200_000
TOO_DEEP = "JSON nested more than 64 levels deep"
TOO_MANY = (
    "not run: goshi runs at most 64 tool calls from one answer; "
    "ask for the rest in your next answer"
)
SPENT = (
    "not run: this round's tool calls and results would pass 2,000,000 bytes; "
    "ask for less at a time (read_file takes start_line and end_line)"
)


def one_line(r: Result) -> str:
    (line,) = r.stderr.splitlines()
    return line


# --- JSON nested too deep ------------------------------------------------------------------------


def test_goshi_models_says_a_listing_nested_too_deep_is_not_listed(goshi, server) -> None:
    server.models.push(static(DEEP))
    r = goshi("models")
    assert_clean(r, 0)
    assert f"  not listed: HTTP 200 but {TOO_DEEP}\n" in r.stdout
    assert "llama3.2:latest" in r.stdout  # the other backend is still listed


def test_goshi_status_says_a_server_answering_too_deep_json(goshi, server) -> None:
    server.models.push(static(DEEP))
    r = goshi("status")
    assert_clean(r, 0)
    assert f"  reachable: no (HTTP 200 but {TOO_DEEP})\n" in r.stdout


def test_ask_no_stream_with_an_answer_nested_too_deep_is_one_line_and_exit_5(
    goshi, server: WireServer
) -> None:
    server.openai.push(*[static(DEEP)] * 3)
    r = goshi("ask", "--no-stream", "hi")
    assert_clean(r, 5)
    assert r.stdout == ""
    assert f"goshi: openai: the server sent {TOO_DEEP}" in r.stderr
    assert len(server.chat_requests()) == 3  # retried like any broken body, then given up


# --- tool calls --------------------------------------------------------------------------------


def test_a_lone_surrogate_in_tool_arguments_is_a_tool_error_and_the_turn_goes_on(
    goshi, server: WireServer, home: Path
) -> None:
    """`"\\udc80"` parses to text UTF-8 cannot hold: it was a traceback at the audit's insert,
    with the question left pending."""
    (home / "work" / "a.txt").write_text("hello\n")
    server.openai.push(
        tool_round(
            ("c1", "read_file", '{"path": "a\\udc80.txt"}'),
            ("c2", "read_file", '{"path": "a.txt"}'),
        ),
        openai_stream("went on"),
    )
    r = goshi("ask", "-v", "read them")
    assert_clean(r, 0)
    assert r.stdout == "went on\n"
    assert results(server) == [
        "error: the arguments hold a lone surrogate (\\udc80), which is not text; "
        "send valid Unicode",
        "hello\n",
    ]
    shown = goshi("history", "show", "1")
    assert "[pending]" not in shown.stdout
    assert "bad arguments: a lone surrogate" in shown.stdout


def test_at_most_64_calls_run_and_one_round_stores_a_bounded_number_of_bytes(
    goshi, server: WireServer, home: Path
) -> None:
    """2,500 parallel read_file calls of a big file stored ~250 MB in goshi.db."""
    (home / "work" / "big.txt").write_text(("x" * 99 + "\n") * 1_500)  # read_file sends 100 KB
    calls = [(f"c{i}", "read_file", '{"path": "big.txt"}') for i in range(2_500)]
    server.openai.push(tool_round(*calls), openai_stream("read enough"))
    r = goshi("ask", "-v", "read it all", timeout=120)
    assert_clean(r, 0)
    assert r.stdout == "read enough\n"
    db = sqlite3.connect(home / "data" / "goshi" / "goshi.db")
    stored = [c for (c,) in db.execute("SELECT content FROM messages WHERE role = 'tool'")]
    assert len(stored) == 2_500  # every call has its result
    assert len(server.chat_requests()[1].body["messages"]) == 2 + 2_500
    full = [c for c in stored if c.startswith("xxx")]
    assert len(full) == 20  # 19 whole, and the one that reached the budget, cut
    assert full[-1].endswith("\n[cut: this round's results reached 2,000,000 bytes]")
    assert sum(len(c.encode()) for c in full) < 2_000_100
    assert set(stored[20:64]) == {SPENT}
    assert set(stored[64:]) == {TOO_MANY}
    assert (
        "-> 2480 more tool calls not run (at most 64 from one answer, 2,000,000 bytes in all)"
        in r.stderr
    )
    assert r.stderr.count("-> read_file big.txt") == 20
    assert (home / "data" / "goshi" / "goshi.db").stat().st_size < 6_000_000


def test_the_arguments_of_a_round_count_against_its_bytes_too(
    goshi, server: WireServer, home: Path
) -> None:
    """30 proposed writes of 150 KB each: 4.5 MB of arguments stored with the answer."""
    content = ("y" * 99 + "\n") * 1_500
    calls = [
        (f"c{i}", "write_file", json.dumps({"path": f"f{i}.txt", "content": content}))
        for i in range(30)
    ]
    server.openai.push(tool_round(*calls), openai_stream("proposed"))
    r = goshi("ask", "-m", "gpt-4.1-mini", "write them", timeout=120)  # a 1M window
    assert_clean(r, 0)
    assert r.stdout == "proposed\n"
    db = sqlite3.connect(home / "data" / "goshi" / "goshi.db")
    stored = [c for (c,) in db.execute("SELECT content FROM messages WHERE role = 'tool'")]
    assert len(stored) == 30
    assert all(c != SPENT for c in stored[:13]) and set(stored[13:]) == {SPENT}
    (kept,) = db.execute("SELECT tool_calls FROM messages WHERE role = 'assistant'").fetchone()
    arguments = [a for _, _, a in json.loads(kept)]
    assert all(json.loads(a)["content"] == content for a in arguments[:13])
    assert arguments[13:] == ["{}"] * 17  # not run: what they carried is not kept
    assert (home / "data" / "goshi" / "goshi.db").stat().st_size < 3_500_000
