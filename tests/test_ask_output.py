"""`goshi ask` output rules: what a script sees on stdout, and what goshi sends and keeps."""

from __future__ import annotations

import json
from pathlib import Path

from goshi.store.engine import sqlite3
from tests.conftest import TEST_KEY
from tests.wire_server import WireServer, openai_stream

ANSWER = ["Here", " is", " `code`:\n\n```py\nprint('héllo 🌍')\n```", "\n", "Done", "."]


def test_pipe_gets_the_answer_bytes_and_one_newline(goshi, server: WireServer) -> None:
    server.openai.push(openai_stream(ANSWER))
    r = goshi("ask", "show", "code")
    assert r.code == 0, r.stderr
    assert r.stdout == "".join(ANSWER) + "\n"
    assert "\x1b" not in r.stdout + r.stderr
    assert r.stderr == ""


def test_request_is_streamed_with_usage_and_the_bearer_key(goshi, server: WireServer) -> None:
    assert goshi("ask", "hi").code == 0
    (req,) = server.chat_requests()
    assert req.path == "/v1/chat/completions"
    assert req.headers["authorization"] == f"Bearer {TEST_KEY}"
    assert req.body["stream"] is True
    assert req.body["stream_options"] == {"include_usage": True}
    assert req.body["messages"] == [{"role": "user", "content": "hi"}]
    assert req.body["model"] == "gpt-4o-mini"


def test_piped_stdin_and_prompt_are_sent_together(goshi, server: WireServer) -> None:
    assert goshi("ask", "summarize", stdin="line one\nline two\n").code == 0
    content = server.chat_requests()[0].body["messages"][-1]["content"]
    assert content == "line one\nline two\n\nsummarize"


def test_piped_stdin_alone_is_the_prompt(goshi, server: WireServer) -> None:
    assert goshi("ask", stdin="what is 2+2?\n").code == 0
    assert server.chat_requests()[0].body["messages"][-1]["content"] == "what is 2+2?"


def test_nothing_to_ask_is_a_usage_error(goshi, server: WireServer) -> None:
    r = goshi("ask")
    assert r.code == 2
    assert "nothing to ask" in r.stderr
    assert server.chat_requests() == []


def test_json_result_has_the_contract_fields(goshi, server: WireServer) -> None:
    server.openai.push(openai_stream(["4"], usage=(21, 1, 0)))
    r = goshi("ask", "--json", "2+2?")
    assert r.code == 0, r.stderr
    result = json.loads(r.stdout)
    assert result["text"] == "4"
    assert result["model"] == "gpt-4o-mini-2024-07-18"
    assert result["backend"] == "openai"
    assert result["fallback"] is False
    assert result["usage"] == {"prompt_tokens": 21, "completion_tokens": 1}
    assert "cost_usd" in result
    assert isinstance(result["conversation_id"], int)


def test_no_stream_asks_for_one_body_and_prints_the_same(goshi, server: WireServer) -> None:
    server.openai.push(openai_stream(ANSWER))
    r = goshi("ask", "--no-stream", "hi")
    assert r.code == 0, r.stderr
    assert server.chat_requests()[0].body["stream"] is False
    assert r.stdout == "".join(ANSWER) + "\n"


def test_system_prompt_goes_first(goshi, server: WireServer) -> None:
    assert goshi("ask", "-s", "be terse", "hi").code == 0
    messages = server.chat_requests()[0].body["messages"]
    assert messages[0] == {"role": "system", "content": "be terse"}


def test_model_flag_and_env(goshi, server: WireServer) -> None:
    assert goshi("ask", "-m", "gpt-4.1", "hi").code == 0
    assert goshi("ask", "hi", GOSHI_MODEL="gpt-4o").code == 0
    models = [r.body["model"] for r in server.chat_requests()]
    assert models == ["gpt-4.1", "gpt-4o"]


def test_continue_sends_the_earlier_turns(goshi, server: WireServer) -> None:
    server.openai.push(openai_stream("First answer."), openai_stream("Second answer."))
    assert goshi("ask", "first question").code == 0
    r = goshi("ask", "-c", "second question")
    assert r.stdout == "Second answer.\n"
    messages = server.chat_requests()[1].body["messages"]
    assert messages == [
        {"role": "user", "content": "first question"},
        {"role": "assistant", "content": "First answer."},
        {"role": "user", "content": "second question"},
    ]


def test_cid_continues_a_given_conversation(goshi, server: WireServer) -> None:
    first = json.loads(goshi("ask", "--json", "one").stdout)["conversation_id"]
    goshi("ask", "two")
    assert goshi("ask", "--cid", str(first), "three").code == 0
    contents = [m["content"] for m in server.chat_requests()[2].body["messages"]]
    assert contents[0] == "one" and contents[-1] == "three" and "two" not in contents


def test_unknown_conversation_is_a_usage_error(goshi, server: WireServer) -> None:
    r = goshi("ask", "--cid", "999", "hi")
    assert r.code == 2
    assert "no conversation 999" in r.stderr
    assert server.chat_requests() == []


def test_servers_extra_fields_and_null_first_content_are_ignored(goshi, server) -> None:
    server.openai.push(openai_stream(["ok", "!"], extra={"timings": {"predicted_ms": 1.5}}))
    r = goshi("ask", "hi")
    assert (r.code, r.stdout) == (0, "ok!\n")


def test_a_malformed_event_is_skipped_and_logged(goshi, server: WireServer, home: Path) -> None:
    from tests.wire_server import openai_events, sse_stream

    events = openai_events(["good", " answer"])
    events.insert(2, b"{not json")
    server.openai.push(sse_stream(events))
    r = goshi("ask", "hi")
    assert (r.code, r.stdout) == (0, "good answer\n")
    assert "malformed" in (home / "state" / "goshi" / "goshi.log").read_text()


def test_usage_is_logged_and_the_key_is_never_written(goshi, server, home: Path) -> None:
    server.openai.push(openai_stream("fine", usage=(7, 3, 2)))
    assert goshi("ask", "hi").code == 0
    goshi("ask", "-v", "hi", OPENAI_BASE_URL="http://127.0.0.1:1/v1")
    log = (home / "state" / "goshi" / "goshi.log").read_text()
    assert "backend=openai model=gpt-4o-mini-2024-07-18 prompt_tokens=7 completion_tokens=3" in log
    for path in home.rglob("*"):
        if path.is_file():
            assert TEST_KEY.encode() not in path.read_bytes(), path


def test_question_and_answer_are_stored(goshi, server: WireServer, home: Path) -> None:
    server.openai.push(openai_stream("stored answer"))
    assert goshi("ask", "stored question").code == 0
    db = sqlite3.connect(home / "data" / "goshi" / "goshi.db")
    rows = db.execute("SELECT role, content, status FROM messages ORDER BY id").fetchall()
    assert rows == [("user", "stored question", "ok"), ("assistant", "stored answer", "ok")]


def test_a_big_log_is_rotated_once(goshi, server: WireServer, home: Path) -> None:
    log_dir = home / "state" / "goshi"
    log_dir.mkdir(parents=True)
    (log_dir / "goshi.log").write_bytes(b"old\n" * 1_300_000)
    assert goshi("ask", "hi").code == 0
    assert (log_dir / "goshi.log.1").stat().st_size > 5_000_000
    assert "usage conversation=1" in (log_dir / "goshi.log").read_text()


def test_a_pipe_reader_sees_text_before_the_model_pauses(env, home, server: WireServer) -> None:
    import os
    import select
    import subprocess
    import threading

    from tests.conftest import GOSHI

    model_goes_on = threading.Event()
    server.openai.push(openai_stream(["ear", "ly", " late"], pause_after=2, hold=model_goes_on))
    proc = subprocess.Popen(
        [GOSHI, "ask", "hi"],
        env=env,
        cwd=home / "work",
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        start_new_session=True,
    )
    assert proc.stdout is not None
    seen = b""
    while b"early" not in seen:
        ready, _, _ = select.select([proc.stdout], [], [], 10)
        assert ready, "nothing arrived"
        seen += os.read(proc.stdout.fileno(), 100)
    model_goes_on.set()  # "early" arrived while the server still held " late"
    rest = proc.stdout.read()
    proc.wait(timeout=10)
    assert seen + rest == b"early late\n"
