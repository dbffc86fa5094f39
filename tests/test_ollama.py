"""The Ollama backend over loopback NDJSON: output, request shape, errors, timeouts, tools."""

from __future__ import annotations

import json
from pathlib import Path

from goshi.config import HttpSettings, OllamaSettings
from goshi.llm import http
from goshi.llm.ollama import OllamaBackend
from goshi.llm.types import ChatRequest, Done, Message, TextDelta
from goshi.store.engine import sqlite3
from tests.wire_server import WireServer, ollama_error, ollama_stream, refused_port

ANSWER = ["Ollama", " says", " \u2028odd\u0085 lines", "\nand `code`."]


def ollama_requests(server: WireServer) -> list[dict]:
    return [r.body for r in server.chat_requests() if r.path == "/api/chat"]


def test_pipe_gets_the_exact_answer(goshi, server: WireServer) -> None:
    server.ollama.push(ollama_stream(ANSWER))
    r = goshi("ask", "-b", "ollama", "hi")
    assert r.code == 0, r.stderr
    assert r.stdout == "".join(ANSWER) + "\n"
    assert r.stderr == ""


def test_request_shape_and_options(goshi, server: WireServer, home: Path) -> None:
    (home / "o.yaml").write_text(
        "backend: ollama\nollama: {model: qwen3, temperature: 0.2, num_ctx: 8192,"
        " keep_alive: 10m}\n"
    )
    assert goshi("ask", "-s", "terse", "hi", GOSHI_CONFIG=str(home / "o.yaml")).code == 0
    assert (
        goshi("ask", "--no-tools", "-s", "terse", "hi", GOSHI_CONFIG=str(home / "o.yaml")).code == 0
    )
    with_tools, body = ollama_requests(server)
    assert [t["function"]["name"] for t in with_tools.pop("tools")] == [
        "read_file",
        "list_dir",
        "search",
        "write_file",
        "edit_file",
        "run_command",
    ]
    assert with_tools == body
    assert body == {
        "model": "qwen3",
        "messages": [{"role": "system", "content": "terse"}, {"role": "user", "content": "hi"}],
        "stream": True,
        "options": {"temperature": 0.2, "num_ctx": 8192},
        "keep_alive": "10m",
    }


def test_usage_comes_from_eval_counts(goshi, server: WireServer) -> None:
    server.ollama.push(ollama_stream("four", counts=(31, 2)))
    result = json.loads(goshi("ask", "-b", "ollama", "--json", "2+2").stdout)
    assert result["usage"] == {"prompt_tokens": 31, "completion_tokens": 2}
    assert (result["backend"], result["model"], result["fallback"]) == ("ollama", "llama3.2", False)


def test_no_stream_sends_stream_false(goshi, server: WireServer) -> None:
    server.ollama.push(ollama_stream(ANSWER))
    r = goshi("ask", "-b", "ollama", "--no-stream", "hi")
    assert r.stdout == "".join(ANSWER) + "\n"
    assert ollama_requests(server)[0]["stream"] is False


def test_model_not_pulled_says_ollama_pull(goshi, server: WireServer) -> None:
    server.ollama.push(ollama_error(404, 'model "llama3.2" not found, try pulling it first'))
    r = goshi("ask", "-b", "ollama", "hi")
    assert r.code == 7
    assert "ollama pull llama3.2" in r.stderr and "Traceback" not in r.stderr


def test_refused_says_whether_ollama_serve_runs(goshi) -> None:
    port = refused_port()
    r = goshi("ask", "-b", "ollama", "hi", OLLAMA_HOST=f"127.0.0.1:{port}")
    assert r.code == 5
    assert f"is `ollama serve` running at http://127.0.0.1:{port}?" in r.stderr


def test_an_error_line_mid_stream_keeps_the_partial(goshi, server, home: Path) -> None:
    server.ollama.push(ollama_stream(["half", " an", " answer"], error_after=2))
    r = goshi("ask", "-b", "ollama", "hi")
    assert r.code == 5 and r.stdout == "half an\n"
    assert "failed mid-answer" in r.stderr
    db = sqlite3.connect(home / "data" / "goshi" / "goshi.db")
    assert db.execute("SELECT status FROM messages WHERE role='assistant'").fetchone() == (
        "interrupted",
    )


def test_an_error_line_before_any_text_is_retried(goshi, server: WireServer) -> None:
    server.ollama.push(ollama_stream(["x"], error_after=0), ollama_stream("recovered"))
    r = goshi("ask", "-b", "ollama", "hi")
    assert (r.code, r.stdout) == (0, "recovered\n")


def test_a_loading_model_may_be_slow_to_first_byte(goshi, server, home: Path) -> None:
    (home / "t.yaml").write_text(
        "backend: ollama\nretry: {attempts: 1}\nhttp: {read_timeout_s: 0.3}\n"
        "ollama: {first_byte_timeout_s: 5}\n"
    )
    server.ollama.push(ollama_stream("loaded", first_byte_delay_s=1.0))
    r = goshi("ask", "hi", GOSHI_CONFIG=str(home / "t.yaml"))
    assert (r.code, r.stdout) == (0, "loaded\n"), r.stderr


def test_after_the_first_byte_a_stall_is_a_timeout(goshi, server, home: Path) -> None:
    (home / "t.yaml").write_text(
        "backend: ollama\nretry: {attempts: 1}\nhttp: {read_timeout_s: 0.3}\n"
        "ollama: {first_byte_timeout_s: 5}\n"
    )
    server.ollama.push(ollama_stream(["a", " b", " c"], stall_after=2, stall_s=3))
    r = goshi("ask", "hi", GOSHI_CONFIG=str(home / "t.yaml"), timeout=10)
    assert r.code == 5 and r.stdout == "a b\n"
    assert "sent nothing for 0.3 s" in r.stderr


def test_tool_calls_arrive_with_object_arguments(server: WireServer) -> None:
    http.close()
    server.ollama.push(
        ollama_stream("", tool_calls=[("read_file", {"path": "README.md"}), ("list_dir", {})])
    )
    backend = OllamaBackend(OllamaSettings(host=server.url), HttpSettings())
    events = list(backend.chat(ChatRequest([Message("user", "read")], "llama3.2")))
    done = events[-1]
    assert isinstance(done, Done)
    assert [(c.name, json.loads(c.arguments)) for c in done.tool_calls] == [
        ("read_file", {"path": "README.md"}),
        ("list_dir", {}),
    ]
    assert not any(isinstance(e, TextDelta) for e in events)
