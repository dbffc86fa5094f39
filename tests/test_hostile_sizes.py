"""Hostile sizes from a server or a model: JSON nested 200,000 deep, lone surrogates in tool
arguments, thousands of tool calls in one answer. Each ends in one line and the documented exit
code, or in a tool error the model can read while the turn goes on; never a traceback."""

from __future__ import annotations

from tests.conftest import Result
from tests.faults import assert_clean
from tests.wire_server import WireServer, static

DEEP = b"[" * 200_000 + b"]" * 200_000
TOO_DEEP = "JSON nested more than 64 levels deep"


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
